// What the gateway adds to a function call, alone: the connector's HTTP client calling a replica
// directly and through the gateway, in one process, rounds interleaved; the difference in this process's
// CPU per call is the gateway's (client and replica do the same work both ways). A call is shaped like
// parse-log's: 200 KiB in (a 2,000-line batch), 1 MiB out (its events).
import { createHttpClient } from '../core/http/client.js';
import { serve } from '../core/http/serve.js';
import { silentLogger } from '../core/log.js';
import { Secret } from '../core/secrets.js';
import { startGateway } from '../gateway/start.js';
import type { Upstream } from '../gateway/upstream.js';

const IN_BYTES = 200 * 1024;
const OUT_BYTES = 1024 * 1024;

export async function gatewayHop(
  rounds = 6,
  callsPerRound = 150,
): Promise<{ gateway_cpu_us_per_mb: number }> {
  const reply = new Uint8Array(OUT_BYTES).fill(97);
  const limits = { port: 0, host: '127.0.0.1', maxBodyBytes: 64 << 20, maxInflight: 1024, timeoutMs: 30_000 };
  const replica = await serve(async (r) => {
    await r.arrayBuffer();
    return new Response(reply);
  }, limits);
  const fn = { name: 'f', image: 'x', labels: {}, annotations: {}, environment: {}, secrets: [] };
  const gw = await startGateway({
    ...limits,
    functions: [fn],
    upstreams: new Map<string, Upstream>([['f', { kind: 'url', urls: [replica.url] }]]),
    credentials: { user: 'bench', password: new Secret('bench') },
    logger: silentLogger,
  });
  const client = createHttpClient();
  const body = new Uint8Array(IN_BYTES).fill(98);
  /** This process's CPU µs per call. */
  const round = async (url: string, n: number) => {
    const c0 = process.cpuUsage();
    let i = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (i++ < n) {
          const r = await client({ method: 'POST', url, headers: {}, body, timeoutMs: 30_000 });
          if (r.status !== 200 || r.body.length !== OUT_BYTES)
            throw new Error(`gateway hop: answer ${r.status}`);
        }
      }),
    );
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / n;
  };
  try {
    const direct: number[] = [];
    const via: number[] = [];
    await round(`${replica.url}/`, 50);
    await round(`${gw.url}/function/f`, 50);
    for (let k = 0; k < rounds; k++) {
      direct.push(await round(`${replica.url}/`, callsPerRound));
      via.push(await round(`${gw.url}/function/f`, callsPerRound));
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
    const mb = (IN_BYTES + OUT_BYTES) / (1024 * 1024);
    return { gateway_cpu_us_per_mb: Math.round((med(via) - med(direct)) / mb) };
  } finally {
    client.close();
    await gw.close();
    await replica.close();
  }
}

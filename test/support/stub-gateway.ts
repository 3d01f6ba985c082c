// Test support: a real local HTTP server standing in for the gateway + producer, as the CLI sees them.
// It applies each idempotency key once (as downstream applies each batch id once) and can be told
// to fail after N requests, to require a password, or to answer with a given stats body.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface StubOptions {
  /** Listen on this port (a gateway coming back at the same address); default any free port. */
  port?: number;
  password?: string;
  /** Requests to /function/producer beyond this many get a 500. */
  failAfter?: number;
  stats?: unknown;
}

export interface StubGateway {
  url: string;
  /** Every line received in a 200-answered request, in arrival order (duplicates included). */
  received: string[];
  /** Lines per idempotency key, applied once. */
  byKey: Map<string, string[]>;
  requests: { path: string; headers: IncomingMessage['headers']; lines: number }[];
  simulations: unknown[];
  options: StubOptions;
  close(): Promise<void>;
}

export async function startStubGateway(options: StubOptions = {}): Promise<StubGateway> {
  const stub: Omit<StubGateway, 'url' | 'close'> = {
    received: [],
    byKey: new Map(),
    requests: [],
    simulations: [],
    options,
  };
  let producerCalls = 0;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://stub');
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const auth = `Basic ${Buffer.from(`admin:${options.password}`).toString('base64')}`;
    if (url.pathname.startsWith('/system/')) {
      if (options.password !== undefined && req.headers.authorization !== auth)
        return send(401, { error: 'unauthorized' });
      return send(200, [{ name: 'producer' }, { name: 'stats' }]);
    }
    if (url.pathname === '/function/stats') return send(200, options.stats ?? { total: 0, anomalies: 0 });
    if (url.pathname !== '/function/producer') return send(404, { error: 'not found' });
    if (options.failAfter !== undefined && producerCalls++ >= options.failAfter) {
      return send(500, { error: 'simulated failure' });
    }
    if (req.headers['content-type']?.startsWith('application/json')) {
      const sim = JSON.parse(body.toString());
      stub.simulations.push(sim);
      return send(200, {
        accepted: sim.lines ?? 1000,
        batches: 2,
        bySource: { api: sim.lines ?? 1000 },
        labelled: { 'latency-spike': 42 },
        scenarios: [],
      });
    }
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const text = body.toString('utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    stub.requests.push({ path: url.pathname + url.search, headers: req.headers, lines: lines.length });
    stub.received.push(...lines);
    const key = String(req.headers['x-idempotency-key'] ?? `anon-${stub.requests.length}`);
    if (!stub.byKey.has(key)) stub.byKey.set(key, lines);
    send(200, { accepted: lines.length, batches: 1, source: url.searchParams.get('source') });
  });
  await new Promise<void>((r) => server.listen(options.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    ...stub,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

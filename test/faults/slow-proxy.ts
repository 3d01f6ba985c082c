// A slow gateway for the fault tests: forwards every request to the real gateway and holds the answer
// back for `delayMs()`. With a connector timeout shorter than some delays, calls time out *after* the
// function did its work, the worst case for exactly-once: the retry must not count the batch again.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowProxy {
  url: string;
  /** Requests answered so far, and how many were held longer than `slowerThanMs`. */
  stats(slowerThanMs: number): { answered: number; slow: number };
  close(): Promise<void>;
}

export async function startSlowProxy(target: string, delayMs: () => number): Promise<SlowProxy> {
  const to = new URL(target);
  const delays: number[] = [];
  const server: Server = createServer((req, res) => {
    const up = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => {
          const d = delayMs();
          delays.push(d);
          setTimeout(() => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            res.end(Buffer.concat(chunks));
          }, d);
        });
      },
    );
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: (slowerThanMs) => ({
      answered: delays.length,
      slow: delays.filter((d) => d > slowerThanMs).length,
    }),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// A real local HTTP receiver for notify's tests: records every POST and answers what the test says.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Status to answer for the next requests (default 200). */
  status: number;
  /** Statuses answered, in order (a check may refuse what `status` would accept). */
  answered: number[];
  close(): Promise<void>;
}

/** `check`: what a real receiver verifies (a signature); its status, when given, is answered instead. */
export async function startReceiver(check?: (r: Received) => number | undefined): Promise<Receiver> {
  const r: Receiver = {
    url: '',
    received: [],
    status: 200,
    answered: [],
    close: () => new Promise<void>((res) => server.close(() => res())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      r.received.push(got);
      const status = check?.(got) ?? r.status;
      r.answered.push(status);
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return r;
}

// The one server adapter every function, the gateway and the dashboard run behind (OpenFaaS watchdog
// semantics): /_/health, /_/ready, body limit -> 413, max in flight -> 429, exec timeout -> 504,
// graceful close (unready, drain in-flight requests, then close).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PayloadTooLargeError, TimeoutError, TooBusyError, toErrorResponse } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { bytesRequest, knownBytes } from './bytes.js';

export type Handler = (req: Request) => Promise<Response>;

export interface ServeOptions {
  port: number;
  host?: string;
  /** Request bodies above this are refused with 413 (the watchdog's max body). */
  maxBodyBytes: number;
  /** Requests beyond this many in flight get 429, so a replica sheds load instead of queueing it. */
  maxInflight: number;
  /** Handler deadline; past it the client gets 504 and the handler's signal is aborted. */
  timeoutMs: number;
  /** How long close() waits for in-flight requests. */
  drainMs?: number;
  /** Extra readiness check (e.g. broker and KV connected). */
  ready?: () => boolean;
  logger?: Logger;
  name?: string;
}

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  inflight(): number;
  /** Marks unready, waits for in-flight requests (up to drainMs), then closes. */
  close(): Promise<void>;
}

export async function serve(handler: Handler, opts: ServeOptions): Promise<RunningServer> {
  const log = opts.logger ?? silentLogger;
  let inflight = 0;
  let shuttingDown = false;
  const drainWaiters: (() => void)[] = [];

  const server = createServer((req, res) => {
    void onRequest(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/_/health') return void writeRaw(res, 200, 'OK');
    if (path === '/_/ready') {
      const ok = !shuttingDown && (opts.ready ? opts.ready() : true);
      return void writeRaw(res, ok ? 200 : 503, ok ? 'OK' : 'not ready');
    }
    if (inflight >= opts.maxInflight) {
      req.resume();
      return void (await writeResponse(res, toErrorResponse(new TooBusyError())));
    }
    inflight++;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      const body = await readBody(req, opts.maxBodyBytes);
      const request = toRequest(req, body, abort.signal);
      const timeout = new Promise<Response>((resolve) => {
        timer = setTimeout(() => {
          abort.abort();
          resolve(toErrorResponse(new TimeoutError(opts.timeoutMs)));
        }, opts.timeoutMs);
      });
      const response = await Promise.race([handler(request).catch(errorToResponse), timeout]);
      await writeResponse(res, response);
    } catch (e) {
      await writeResponse(res, errorToResponse(e));
    } finally {
      clearTimeout(timer);
      inflight--;
      if (inflight === 0) for (const w of drainWaiters.splice(0)) w();
    }
  }

  function errorToResponse(e: unknown): Response {
    const r = toErrorResponse(e);
    if (r.status >= 500) log.error('handler failed', { err: e instanceof Error ? e.stack : String(e) });
    return r;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    inflight: () => inflight,
    async close() {
      shuttingDown = true;
      if (inflight > 0) {
        await Promise.race([
          new Promise<void>((r) => drainWaiters.push(r)),
          new Promise<void>((r) => setTimeout(r, opts.drainMs ?? 10_000).unref()),
        ]);
      }
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}

/** Reads the body, refusing (413) as soon as it passes the limit, before buffering it all. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new PayloadTooLargeError(limit));
  }
  if (req.method === 'GET' || req.method === 'HEAD') {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => !failed && resolve(Buffer.concat(chunks)));
    req.on('error', (e) => !failed && reject(e));
  });
}

function toRequest(req: IncomingMessage, body: Buffer | undefined, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  const host = req.headers.host ?? 'localhost';
  return bytesRequest(`http://${host}${req.url ?? '/'}`, {
    method: req.method,
    headers,
    body: body && body.length > 0 ? body : undefined,
    signal,
  });
}

function writeRaw(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

async function writeResponse(res: ServerResponse, r: Response): Promise<void> {
  if (res.headersSent) return;
  const bytes = knownBytes(r);
  const buf = bytes
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : Buffer.from(await r.arrayBuffer());
  const headers: Record<string, string | string[]> = {};
  r.headers.forEach((v, k) => {
    if (k === 'set-cookie') headers[k] = r.headers.getSetCookie();
    else headers[k] = v;
  });
  headers['content-length'] = String(buf.length);
  res.writeHead(r.status, headers);
  res.end(buf);
}

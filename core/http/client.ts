// The HTTP client of the hot path (connector -> gateway -> function): node:http with a keep-alive Agent.
// Measured against the built-in fetch on a 300 KB -> 1.4 MB request: ~3.5 ms less CPU per call, and one
// buffer per body instead of a Web stream's chunks plus their concatenated copy.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpClientOptions {
  /** Sockets kept per upstream host (in flight and idle): bounds file descriptors and buffers. */
  maxSockets?: number;
}

export interface HttpCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Deadline for the whole exchange, response body included. */
  timeoutMs: number;
}

export interface HttpReply {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The exchange passed its deadline; nothing is known about whether the server acted on it. */
export class HttpTimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
  }
}

/** A socket-level failure; `code` is the system error (ECONNREFUSED, ECONNRESET, ...). */
export class HttpNetworkError extends Error {
  override name = 'HttpNetworkError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Connection-level failures where the request cannot have reached the server (safe to send elsewhere). */
export function neverSent(e: unknown): boolean {
  const code = e instanceof HttpNetworkError ? e.code : undefined;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH';
}

/**
 * `call` on each replica URL in turn, going on to the next only when one refused the connection
 * (neverSent: it cannot have acted, so nothing is applied twice). The first answer, else the last error.
 */
export async function firstReachable<T>(
  urls: readonly string[],
  call: (url: string) => Promise<T>,
): Promise<T> {
  let last: unknown;
  for (const url of urls) {
    try {
      return await call(url);
    } catch (e) {
      last = e;
      if (!neverSent(e)) break;
    }
  }
  throw last;
}

export type HttpClient = (call: HttpCall) => Promise<HttpReply>;

/** A client with its own keep-alive agents; `close()` drops idle sockets. */
export function createHttpClient(o: HttpClientOptions = {}): HttpClient & { close(): void } {
  // 64 = the default MAX_INFLIGHT of a replica: more sockets than that would only queue at the server.
  const opts = {
    keepAlive: true,
    maxSockets: o.maxSockets ?? 64,
    maxFreeSockets: 16,
    scheduling: 'lifo' as const,
  };
  const http = new HttpAgent(opts);
  const https = new HttpsAgent(opts);

  const call = (c: HttpCall): Promise<HttpReply> =>
    new Promise((resolve, reject) => {
      const u = new URL(c.url);
      const secure = u.protocol === 'https:';
      const headers: Record<string, string> = { ...c.headers };
      if (c.body) headers['content-length'] = String(c.body.byteLength);
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(e);
      };
      const req = (secure ? httpsRequest : httpRequest)(
        u,
        { method: c.method, headers, agent: secure ? https : http },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (b: Buffer) => {
            chunks.push(b);
            size += b.length;
          });
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({
              status: res.statusCode ?? 502,
              statusText: res.statusMessage ?? '',
              headers: res.headers,
              body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size),
            });
          });
          res.on('error', (e) => fail(network(e)));
          res.on('aborted', () => fail(new HttpNetworkError('ECONNRESET', 'response aborted')));
        },
      );
      const timer = setTimeout(() => fail(new HttpTimeoutError(c.timeoutMs)), c.timeoutMs);
      req.on('error', (e) => fail(network(e)));
      req.end(c.body);
    });

  return Object.assign(call, {
    close() {
      http.destroy();
      https.destroy();
    },
  });
}

function network(e: Error): HttpNetworkError {
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  return new HttpNetworkError(code, e.message || code);
}

/** Node's header object as Web Headers (multi-valued headers appended). */
export function toHeaders(h: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.append(k, x);
    else out.set(k, v);
  }
  return out;
}

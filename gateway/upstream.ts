// How the gateway reaches a function: an in-process handler (npm start) or a URL (a process, a container).
import { TimeoutError, toErrorResponse, UpstreamError } from '../core/errors.js';
import { roundRobin } from '../core/function-urls.js';
import { bytesRequest, bytesResponse } from '../core/http/bytes.js';
import { createHttpClient, firstReachable, type HttpClient, HttpTimeoutError } from '../core/http/client.js';
import type { Handler } from '../core/http/serve.js';

/** In-process handler (npm start), or the URLs of a function's replicas (round-robin with failover). */
export type Upstream = { kind: 'handler'; handler: Handler } | { kind: 'url'; urls: string[] };

// Hop-by-hop headers are the gateway's own business (RFC 9110 7.6.1).
export const HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'te',
  'trailer',
  'proxy-authorization',
]);

export function forwardHeaders(h: Headers, extra: Record<string, string>): Headers {
  const out = new Headers();
  h.forEach((v, k) => {
    if (!HOP.has(k)) out.set(k, v);
  });
  for (const [k, v] of Object.entries(extra)) out.set(k, v);
  return out;
}

let sharedClient: (HttpClient & { close(): void }) | undefined;
/** The gateway's keep-alive client to function replicas, made on first use (not on import). */
export function upstreamClient(): HttpClient {
  sharedClient ??= createHttpClient();
  return sharedClient;
}

const order = roundRobin<Upstream>();
/** The replicas to try, in order: round-robin over calls, the others after as failover. */
export function replicaOrder(up: Upstream & { kind: 'url' }): string[] {
  return order(up, up.urls);
}

// Statuses whose response must not carry a body (a Response with one throws).
const NULL_BODY = new Set([101, 204, 205, 304]);

/** Calls the function; network failures become 502, a deadline 504, never a thrown error. */
export async function callUpstream(
  up: Upstream,
  name: string,
  req: { method: string; pathAndQuery: string; headers: Headers; body?: Uint8Array | ArrayBuffer },
  timeoutMs: number,
  client: HttpClient = upstreamClient(),
): Promise<Response> {
  const hasBody = req.body && req.body.byteLength > 0 && req.method !== 'GET' && req.method !== 'HEAD';
  const body = !hasBody ? undefined : req.body instanceof Uint8Array ? req.body : new Uint8Array(req.body!);
  if (up.kind === 'handler') {
    const ctl = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<Response>((resolve) => {
      timer = setTimeout(() => {
        ctl.abort();
        resolve(toErrorResponse(new TimeoutError(timeoutMs)));
      }, timeoutMs);
    });
    try {
      const r = bytesRequest(`http://${name}${req.pathAndQuery}`, {
        method: req.method,
        headers: req.headers,
        body,
        signal: ctl.signal,
      });
      return await Promise.race([up.handler(r).catch((e) => toErrorResponse(e)), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
  // Round-robin over replicas; a replica that refuses the connection is skipped for the next one
  // (the request never reached it, so retrying elsewhere cannot apply it twice).
  const headers: Record<string, string> = {};
  req.headers.forEach((v, k) => {
    headers[k] = v;
  });
  try {
    return await firstReachable(replicaOrder(up), async (url) => {
      const r = await client({
        method: req.method,
        url: `${url}${req.pathAndQuery}`,
        headers,
        body,
        timeoutMs,
      });
      const out = new Headers();
      for (const [k, v] of Object.entries(r.headers)) {
        if (v === undefined || HOP.has(k)) continue;
        if (Array.isArray(v)) for (const x of v) out.append(k, x);
        else out.set(k, v);
      }
      const status = r.status < 200 || r.status > 599 ? 502 : r.status;
      return bytesResponse(NULL_BODY.has(status) || req.method === 'HEAD' ? null : r.body, {
        status,
        statusText: r.statusText,
        headers: out,
      });
    });
  } catch (e) {
    if (e instanceof HttpTimeoutError) return toErrorResponse(new TimeoutError(timeoutMs));
    return toErrorResponse(new UpstreamError(`cannot reach function ${name}: ${describe(e)}`));
  }
}

function describe(e: unknown): string {
  const code = (e as { code?: string })?.code;
  return code ?? (e instanceof Error ? e.message : String(e));
}

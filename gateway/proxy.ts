// Synchronous calls to a function reached by URL (/function/{name}[/...]) as a streaming reverse proxy:
// the request body is piped to a replica as it arrives and the answer piped back, so the gateway never
// holds a batch whole, copies it or wraps it in Web objects. Same contract as the Web handler's invoke
// (handler.ts): 413 past the body limit, 429 past max in flight, 504 past the deadline, 502 when no
// replica answers, a refused connection tried on the next replica, call id and metrics stamped.
import { randomUUID } from 'node:crypto';
import {
  Agent,
  type ClientRequest,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import {
  type HttpError,
  PayloadTooLargeError,
  TimeoutError,
  TooBusyError,
  toErrorResponse,
  UpstreamError,
} from '../core/errors.js';
import { H } from '../core/headers.js';
import type { GatewayMetrics } from './metrics.js';
import { HOP, replicaOrder, type Upstream } from './upstream.js';

export interface StreamingProxyDeps {
  /** The URL upstream of a known function; anything else is left to the Web handler. */
  upstream: (name: string) => Upstream | undefined;
  metrics: GatewayMetrics;
  timeoutMs: number;
  maxBodyBytes: number;
  maxInflight: number;
  /** Requests the Web handler has in flight, so the limit covers both paths. */
  otherInflight: () => number;
}

export interface StreamingProxy {
  /** Takes the request if it is a sync call to a URL upstream (and answers it); false: not ours. */
  take(req: IncomingMessage, res: ServerResponse): boolean;
  inflight(): number;
  /** Waits for calls in flight (up to `ms`), then drops idle upstream sockets. */
  close(ms: number): Promise<void>;
}

const ROUTE = /^\/function\/([^/?]+)([^?]*)(\?.*)?$/;
const NO_BODY = new Set(['GET', 'HEAD']);
// Statuses whose response carries no body.
const NULL_BODY = new Set([204, 205, 304]);
/** Connection failures where the request cannot have reached the replica (safe to send elsewhere). */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH']);

export function createStreamingProxy(deps: StreamingProxyDeps): StreamingProxy {
  // 64 sockets per replica = the default MAX_INFLIGHT of a replica: more would only queue there.
  const agent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16, scheduling: 'lifo' });
  let inflight = 0;
  const drained: (() => void)[] = [];

  function route(
    req: IncomingMessage,
  ): { name: string; up: Upstream & { kind: 'url' }; rest: string } | undefined {
    const m = ROUTE.exec(req.url ?? '');
    // Dot segments (`/function/a/../b`) resolve to another route: the Web handler decides those.
    if (!m || /\/\.\.?(\/|$|\?)|%2e/i.test(m[2])) return undefined;
    let name: string;
    try {
      // OpenFaaS addresses a function as `name` or `name.namespace` (the cron-connector uses the latter).
      name = decodeURIComponent(m[1]).replace(/\.openfaas-fn$/, '');
    } catch {
      return undefined;
    }
    const up = deps.upstream(name);
    if (up?.kind !== 'url' || up.urls.length === 0) return undefined;
    return { name, up, rest: (m[2] || '/') + (m[3] ?? '') };
  }

  function take(req: IncomingMessage, res: ServerResponse): boolean {
    const r = route(req);
    if (!r) return false;
    if (inflight + deps.otherInflight() >= deps.maxInflight) {
      req.resume();
      void answerError(res, new TooBusyError());
      return true;
    }
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > deps.maxBodyBytes) {
      req.resume();
      void answerError(res, new PayloadTooLargeError(deps.maxBodyBytes));
      return true;
    }
    inflight++;
    res.once('close', () => {
      if (--inflight === 0) for (const w of drained.splice(0)) w();
    });
    forward(req, res, r.name, r.up, r.rest);
    return true;
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    name: string,
    up: Upstream & { kind: 'url' },
    rest: string,
  ) {
    const started = performance.now();
    const callId = (req.headers[H.callId] as string | undefined) ?? randomUUID();
    const method = req.method ?? 'GET';
    const withBody = !NO_BODY.has(method);
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
    headers[H.callId] = callId;
    headers['x-start-time'] = Math.floor(Date.now() / 1000).toString();
    if (withBody && req.headers['content-length'] !== undefined)
      headers['content-length'] = req.headers['content-length'];
    if (!withBody) req.resume();

    const replicas = replicaOrder(up);
    let current: ClientRequest | undefined;
    let done = false;
    const seconds = () => (performance.now() - started) / 1000;
    /** Ends the exchange with an error answer (or cuts the connection once the answer has begun). */
    const fail = (e: HttpError, observe = true) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      current?.destroy();
      req.resume();
      if (observe) deps.metrics.observe(name, toErrorResponse(e).status, seconds());
      if (res.headersSent) res.destroy();
      else void answerError(res, e);
    };
    const timer = setTimeout(() => fail(new TimeoutError(deps.timeoutMs)), deps.timeoutMs);
    // The client went away before the answer was complete: stop the upstream call too.
    res.once('close', () => {
      if (!res.writableFinished) {
        done = true;
        clearTimeout(timer);
        current?.destroy();
      }
    });

    const attempt = (i: number) => {
      const target = new URL(`${replicas[i]}${rest}`);
      let piping = false;
      const call = httpRequest(target, { method, headers, agent });
      current = call;
      call.on('error', (e: NodeJS.ErrnoException) => {
        if (done) return;
        const code = e.code ?? 'EIO';
        // Not one byte of the body was taken from the client: the next replica can have it all.
        if (!piping && NEVER_SENT.has(code) && i + 1 < replicas.length) return attempt(i + 1);
        fail(new UpstreamError(`cannot reach function ${name}: ${code}`));
      });
      // The body waits for the connection, so a replica that refuses it leaves the body unread.
      call.once('socket', (s) => {
        const pipe = () => {
          if (done) return;
          piping = true;
          if (withBody)
            pipeLimited(
              req,
              call,
              deps.maxBodyBytes,
              () => !done,
              () => fail(new PayloadTooLargeError(deps.maxBodyBytes), false),
            );
          else call.end();
        };
        if (s.connecting) s.once('connect', pipe);
        else pipe();
      });
      call.on('response', (answer) => answered(answer));
    };

    const answered = (answer: IncomingMessage) => {
      if (done) return void answer.resume();
      const took = seconds();
      const status =
        !answer.statusCode || answer.statusCode < 200 || answer.statusCode > 599 ? 502 : answer.statusCode;
      deps.metrics.observe(name, status, took);
      const out: OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
      // The bytes pass unchanged, so the replica's length stays true.
      if (answer.headers['content-length'] !== undefined && !NULL_BODY.has(status))
        out['content-length'] = answer.headers['content-length'];
      out[H.callId] = callId;
      out['x-duration-seconds'] = took.toFixed(6);
      out[H.servedBy] = `logfaas-gateway/${name}`;
      res.writeHead(status, out);
      answer.on('error', () => fail(new UpstreamError(`function ${name} broke off its answer`), false));
      answer.on('aborted', () => fail(new UpstreamError(`function ${name} broke off its answer`), false));
      answer.on('end', () => {
        done = true;
        clearTimeout(timer);
      });
      answer.pipe(res);
    };

    attempt(0);
  }

  return {
    take,
    inflight: () => inflight,
    async close(ms) {
      if (inflight > 0) {
        await Promise.race([
          new Promise<void>((r) => drained.push(r)),
          new Promise<void>((r) => setTimeout(r, ms).unref()),
        ]);
      }
      agent.destroy();
    },
  };
}

/**
 * Pipes the client's body to the replica with backpressure, calling `tooLarge` once past `limit`; once
 * the exchange is over (`alive` false) the rest of the body is read and dropped.
 */
function pipeLimited(
  from: IncomingMessage,
  to: ClientRequest,
  limit: number,
  alive: () => boolean,
  tooLarge: () => void,
): void {
  let size = 0;
  let over = false;
  const onData = (chunk: Buffer) => {
    if (over || !alive()) return;
    size += chunk.length;
    if (size > limit) {
      over = true;
      tooLarge();
      return;
    }
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  };
  from.on('data', onData);
  from.once('end', () => {
    if (!over && alive()) to.end();
  });
}

async function answerError(res: ServerResponse, e: HttpError): Promise<void> {
  const r = toErrorResponse(e);
  const body = Buffer.from(await r.arrayBuffer());
  if (res.headersSent || res.destroyed) return;
  const headers: OutgoingHttpHeaders = { 'content-length': String(body.length) };
  r.headers.forEach((v, k) => {
    headers[k] = v;
  });
  res.writeHead(r.status, headers);
  res.end(body);
}

/**
 * Puts the proxy in front of a server's request listener (core/http/serve's, which buffers every body
 * to hand handlers a Web Request): function calls stream, everything else goes on as before.
 */
export function routeThrough(server: Server, proxy: StreamingProxy): void {
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (proxy.take(req, res)) return;
    for (const l of listeners) l.call(server, req, res);
  });
}

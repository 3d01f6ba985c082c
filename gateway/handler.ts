// The local faasd-style gateway: the part of the OpenFaaS gateway API that faas-cli, connectors and
// users rely on. Routes: /healthz, /metrics, /system/functions, /system/function/{name},
// /system/dead-letters[/replay], /system/invocations (a connector's direct calls, for /metrics),
// /function/{name}[/...], /async-function/{name}[/...], /ui/ (dashboard).
import { randomUUID } from 'node:crypto';
import {
  jsonResponse,
  MethodNotAllowedError,
  NotFoundError,
  toErrorResponse,
  UnauthorizedError,
} from '../core/errors.js';
import { H } from '../core/headers.js';
import { AUTH_MESSAGES, basicAuthProblem, type Credentials } from '../core/http/basic-auth.js';
import { knownBytes } from '../core/http/bytes.js';
import type { HttpClient } from '../core/http/client.js';
import type { Handler } from '../core/http/serve.js';
import { parseInvocations } from '../core/invocations.js';
import type { Logger } from '../core/log.js';
import type { DeadLetters } from './dead-letters.js';
import { toFunctionStatus } from './function-status.js';
import type { GatewayMetrics } from './metrics.js';
import type { FunctionSpec } from './stack.js';
import { callUpstream, forwardHeaders, type Upstream } from './upstream.js';

export interface GatewayDeps {
  functions: FunctionSpec[];
  upstream: (name: string) => Upstream | undefined;
  /** Ready replicas of a function (from health polling). */
  available: (name: string) => number;
  envProcess: (name: string) => string;
  credentials: Credentials;
  metrics: GatewayMetrics;
  timeoutMs: number;
  logger: Logger;
  /** Queues an async invocation; absent = /async-function answers 503. */
  enqueueAsync?: (call: AsyncCall) => Promise<void>;
  /** The dead-letter queue, for /system/dead-letters; absent without a broker. */
  deadLetters?: DeadLetters;
  /** Dashboard assets served under /ui/. */
  dashboard?: Handler;
  /** The HTTP client to URL upstreams (default: the shared keep-alive client). */
  http?: HttpClient;
}

export interface AsyncCall {
  callId: string;
  name: string;
  pathAndQuery: string;
  method: string;
  headers: Record<string, string>;
  body: Uint8Array;
  callbackUrl?: string;
}

export function createGatewayHandler(deps: GatewayDeps): Handler {
  const byName = new Map(deps.functions.map((f) => [f.name, f]));

  const requireAuth = (req: Request) => {
    const problem = basicAuthProblem(req.headers.get('authorization'), deps.credentials);
    if (problem) throw new UnauthorizedError(AUTH_MESSAGES[problem], { reason: problem });
  };

  return async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const path = url.pathname;
    try {
      if (path === '/healthz') return new Response('OK', { status: 200 });
      if (path === '/metrics') {
        return new Response(deps.metrics.render(), {
          headers: { 'content-type': 'text/plain; version=0.0.4' },
        });
      }
      if (path === '/system/functions') {
        requireAuth(req);
        return jsonResponse(deps.functions.map((f) => status(f)));
      }
      if (path.startsWith('/system/function/')) {
        requireAuth(req);
        const f = byName.get(decodeURIComponent(path.slice('/system/function/'.length)));
        if (!f) throw new NotFoundError(`function not found: ${path.slice('/system/function/'.length)}`);
        return jsonResponse(status(f));
      }
      if (path === '/system/dead-letters' || path === '/system/dead-letters/replay') {
        requireAuth(req);
        if (!deps.deadLetters) throw new NotFoundError('no broker: no dead-letter queue');
        const limit = Math.min(10_000, Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100));
        if (path.endsWith('/replay')) {
          if (req.method !== 'POST') throw new MethodNotAllowedError('POST to replay dead letters');
          return jsonResponse(await deps.deadLetters.replay(limit));
        }
        return jsonResponse(await deps.deadLetters.list(limit));
      }
      if (path === '/system/invocations') {
        requireAuth(req);
        if (req.method !== 'POST') throw new MethodNotAllowedError('POST a report of invocations');
        const calls = parseInvocations(await req.text(), (n) => byName.has(n));
        for (const c of calls) deps.metrics.observe(c.function, c.code, c.seconds);
        return jsonResponse({ recorded: calls.length });
      }
      if (path.startsWith('/system/')) {
        requireAuth(req);
        throw new NotFoundError(`not implemented by the logfaas gateway: ${path}`);
      }
      const m = /^\/(function|async-function)\/([^/]+)(\/.*)?$/.exec(path);
      if (m)
        return await invoke(
          req,
          m[1] === 'async-function',
          // OpenFaaS addresses a function as `name` or `name.namespace` (the cron-connector uses the latter).
          decodeURIComponent(m[2]).replace(/\.openfaas-fn$/, ''),
          (m[3] ?? '/') + url.search,
        );
      if (path === '/ui' || path.startsWith('/ui/')) {
        if (!deps.dashboard) throw new NotFoundError('no dashboard here');
        if (path === '/ui') return Response.redirect(new URL('/ui/', url), 301);
        const inner = new URL(req.url);
        inner.pathname = path.slice(3);
        return await deps.dashboard(new Request(inner, req));
      }
      if (path === '/') return Response.redirect(new URL('/ui/', url), 302);
      throw new NotFoundError(`no route for ${path}`);
    } catch (e) {
      return toErrorResponse(e);
    }
  };

  function status(f: FunctionSpec) {
    const up = deps.upstream(f.name);
    return toFunctionStatus(f, {
      replicas: up?.kind === 'url' ? up.urls.length : 1,
      available: deps.available(f.name),
      invocations: deps.metrics.invocationCount(f.name),
      envProcess: deps.envProcess(f.name),
    });
  }

  async function invoke(req: Request, async: boolean, name: string, pathAndQuery: string): Promise<Response> {
    const up = byName.has(name) ? deps.upstream(name) : undefined;
    if (!up) {
      return new Response(`error finding function ${name}: not found`, { status: 404 });
    }
    const callId = req.headers.get(H.callId) ?? randomUUID();
    const started = performance.now();
    // The bytes serve() read, when it kept them (MB-sized batches), else a copy from the stream.
    const body =
      req.method === 'GET' || req.method === 'HEAD'
        ? undefined
        : (knownBytes(req) ?? new Uint8Array(await req.arrayBuffer()));
    if (async) {
      if (!deps.enqueueAsync) return new Response('async invocation needs a broker', { status: 503 });
      const headers: Record<string, string> = {};
      req.headers.forEach((v, k) => {
        if (k !== 'authorization') headers[k] = v;
      });
      await deps.enqueueAsync({
        callId,
        name,
        pathAndQuery,
        method: req.method,
        headers,
        body: body ?? new Uint8Array(0),
        callbackUrl: req.headers.get('x-callback-url') ?? undefined,
      });
      return new Response(null, { status: 202, headers: { [H.callId]: callId } });
    }
    const startIso = Math.floor(Date.now() / 1000).toString();
    const res = await callUpstream(
      up,
      name,
      {
        method: req.method,
        pathAndQuery,
        headers: forwardHeaders(req.headers, { [H.callId]: callId, 'x-start-time': startIso }),
        body,
      },
      deps.timeoutMs,
      deps.http,
    );
    const seconds = (performance.now() - started) / 1000;
    deps.metrics.observe(name, res.status, seconds);
    const stamp = (h: Headers) => {
      h.delete('content-length');
      h.delete('transfer-encoding');
      h.set(H.callId, callId);
      h.set('x-duration-seconds', seconds.toFixed(6));
      h.set(H.servedBy, `logfaas-gateway/${name}`);
    };
    // The upstream's Response is normally ours to change: stamping it in place keeps its buffered body
    // as is, where re-wrapping would pipe a MB-sized body through one more Web stream and copy it.
    try {
      stamp(res.headers);
      return res;
    } catch {
      const headers = new Headers(res.headers);
      stamp(headers);
      return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
    }
  }
}

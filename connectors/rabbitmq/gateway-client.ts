// The connector's only way to reach functions: HTTP (never in-process calls), through the gateway or,
// with GATEWAY_INVOKE=false, straight to the function's replicas as the OpenFaaS queue-worker can: two
// fewer copies of every batch across sockets, and the gateway's process out of the hot path.
import { randomUUID } from 'node:crypto';
import type { Delivery } from '../../core/broker/types.js';
import { type FunctionAddresses, replicaUrls, roundRobin } from '../../core/function-urls.js';
import { H } from '../../core/headers.js';
import {
  createHttpClient,
  firstReachable,
  type HttpReply,
  HttpTimeoutError,
  toHeaders,
} from '../../core/http/client.js';
import type { Invocation } from '../../core/invocations.js';
import { type Logger, silentLogger } from '../../core/log.js';
import type { Outcome } from '../../core/retry-decision.js';
import type { Secret } from '../../core/secrets.js';
import { createInvocationReport, ReportsRefused } from './invocation-report.js';
import type { FunctionSummary } from './topic-map.js';

export interface GatewayClientOptions {
  gatewayUrl: string;
  user: string;
  password?: Secret;
  timeoutMs: number;
  connectorName: string;
  /** Accept header of every invocation (see DEFAULT_ACCEPT in config.ts). */
  accept?: string;
  /** Keep-alive sockets to the gateway; the consumers' prefetch bounds what is in flight anyway. */
  maxSockets?: number;
  /** Call the functions' replicas here instead of through the gateway (GATEWAY_INVOKE=false). */
  direct?: FunctionAddresses;
  /** How often direct calls are reported to the gateway's metrics. */
  reportIntervalMs?: number;
  logger?: Logger;
}

export interface InvokeResult {
  outcome: Outcome;
  body?: Uint8Array;
  headers?: Headers;
}

// Message headers passed on to the function as HTTP headers (batch identity, source and format).
const PASSED_HEADERS = [H.batchId, H.source, H.logFormat];

export function createGatewayClient(o: GatewayClientOptions) {
  // Invocations carry MB-sized bodies: node:http with keep-alive costs far less CPU than fetch
  // (core/http/client.ts). The topic map's calls share it: one client, one pool of sockets.
  const http = createHttpClient({ maxSockets: o.maxSockets });
  const auth = o.password
    ? { authorization: `Basic ${Buffer.from(`${o.user}:${o.password.reveal()}`).toString('base64')}` }
    : undefined;

  const order = roundRobin<string>();
  const report = o.direct
    ? createInvocationReport({
        intervalMs: o.reportIntervalMs ?? 2_000,
        logger: o.logger ?? silentLogger,
        send: (batch) => sendReport(batch),
      })
    : undefined;

  async function sendReport(batch: Invocation[]): Promise<void> {
    const r = await http({
      method: 'POST',
      url: `${o.gatewayUrl}/system/invocations`,
      headers: { ...auth, 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(batch)),
      timeoutMs: o.timeoutMs,
    });
    if (r.status === 404) throw new ReportsRefused(`POST /system/invocations answered 404`);
    if (r.status < 200 || r.status > 299) throw new Error(`POST /system/invocations answered ${r.status}`);
  }

  /** The call, through the gateway or to the replicas in turn (on to the next only if one refused). */
  async function call(fn: string, headers: Record<string, string>, body: Uint8Array): Promise<HttpReply> {
    if (!o.direct) {
      return http({
        method: 'POST',
        url: `${o.gatewayUrl}/function/${encodeURIComponent(fn)}`,
        headers,
        body,
        timeoutMs: o.timeoutMs,
      });
    }
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const r = await firstReachable(order(fn, replicaUrls(o.direct, fn)), (url) =>
        http({ method: 'POST', url: `${url}/`, headers, body, timeoutMs: o.timeoutMs }),
      );
      report?.observe(fn, r.status, seconds());
      return r;
    } catch (e) {
      // As the gateway would have counted it: 504 past the deadline, 502 unreachable.
      report?.observe(fn, e instanceof HttpTimeoutError ? 504 : 502, seconds());
      throw e;
    }
  }

  return {
    async listFunctions(): Promise<FunctionSummary[]> {
      const r = await http({
        method: 'GET',
        url: `${o.gatewayUrl}/system/functions`,
        headers: { ...auth },
        timeoutMs: o.timeoutMs,
      });
      if (r.status === 401)
        throw new Error('gateway refused the credentials (401): check basic-auth-password');
      if (r.status < 200 || r.status > 299) throw new Error(`GET /system/functions answered ${r.status}`);
      return JSON.parse(r.body.toString('utf8')) as FunctionSummary[];
    },

    async invoke(fn: string, d: Delivery, attempt: number): Promise<InvokeResult> {
      const headers: Record<string, string> = {
        ...auth,
        [H.topic]: d.topic,
        [H.connector]: o.connectorName,
        [H.messageId]: d.messageId,
        [H.callId]: randomUUID(),
        [H.attempts]: String(attempt),
        'content-type': d.contentType ?? 'application/octet-stream',
      };
      if (o.accept) headers.accept = o.accept;
      for (const k of PASSED_HEADERS) if (d.headers[k]) headers[k] = d.headers[k];
      if (!headers[H.batchId]) headers[H.batchId] = d.messageId;
      try {
        const r = await call(fn, headers, d.body);
        return {
          outcome: { kind: 'response', status: r.status },
          body: r.body,
          headers: toHeaders(r.headers),
        };
      } catch (e) {
        if (e instanceof HttpTimeoutError) return { outcome: { kind: 'timeout' } };
        const code = (e as { code?: string }).code;
        return { outcome: { kind: 'unreachable', message: code ?? String(e) } };
      }
    },

    /** Reports what is left, then drops idle sockets. */
    async close(): Promise<void> {
      await report?.close();
      http.close();
    },
  };
}

export type GatewayClient = ReturnType<typeof createGatewayClient>;

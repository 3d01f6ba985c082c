// The connector's only way to reach functions: HTTP through the gateway (never in-process calls).
import { randomUUID } from 'node:crypto';
import type { Delivery } from '../../core/broker/types.js';
import { H } from '../../core/headers.js';
import { createHttpClient, HttpTimeoutError, toHeaders } from '../../core/http/client.js';
import type { Outcome } from '../../core/retry-decision.js';
import type { Secret } from '../../core/secrets.js';
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
        const r = await http({
          method: 'POST',
          url: `${o.gatewayUrl}/function/${encodeURIComponent(fn)}`,
          headers,
          body: d.body,
          timeoutMs: o.timeoutMs,
        });
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

    close(): void {
      http.close();
    },
  };
}

export type GatewayClient = ReturnType<typeof createGatewayClient>;

// The connector's only way to reach functions: HTTP through the gateway (never in-process calls).
import { randomUUID } from 'node:crypto';
import type { Delivery } from '../../core/broker/types.js';
import { H } from '../../core/headers.js';
import type { Secret } from '../../core/secrets.js';
import type { Outcome } from './decide.js';
import type { FunctionSummary } from './topic-map.js';

export interface GatewayClientOptions {
  gatewayUrl: string;
  user: string;
  password?: Secret;
  timeoutMs: number;
  connectorName: string;
  fetch?: typeof fetch;
}

export interface InvokeResult {
  outcome: Outcome;
  body?: Uint8Array;
  headers?: Headers;
}

// Message headers passed on to the function as HTTP headers (batch identity, source and format).
const PASSED_HEADERS = [H.batchId, H.source, H.logFormat];

export function createGatewayClient(o: GatewayClientOptions) {
  const f = o.fetch ?? fetch;
  const auth = o.password
    ? { authorization: `Basic ${Buffer.from(`${o.user}:${o.password.reveal()}`).toString('base64')}` }
    : undefined;

  return {
    async listFunctions(): Promise<FunctionSummary[]> {
      const r = await f(`${o.gatewayUrl}/system/functions`, {
        headers: { ...auth },
        signal: AbortSignal.timeout(o.timeoutMs),
      });
      if (r.status === 401)
        throw new Error('gateway refused the credentials (401): check basic-auth-password');
      if (!r.ok) throw new Error(`GET /system/functions answered ${r.status}`);
      return (await r.json()) as FunctionSummary[];
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
      for (const k of PASSED_HEADERS) if (d.headers[k]) headers[k] = d.headers[k];
      if (!headers[H.batchId]) headers[H.batchId] = d.messageId;
      try {
        const r = await f(`${o.gatewayUrl}/function/${encodeURIComponent(fn)}`, {
          method: 'POST',
          headers,
          body: d.body as unknown as BodyInit,
          signal: AbortSignal.timeout(o.timeoutMs),
        });
        const body = new Uint8Array(await r.arrayBuffer());
        return { outcome: { kind: 'response', status: r.status }, body, headers: r.headers };
      } catch (e) {
        if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
          return { outcome: { kind: 'timeout' } };
        const cause = (e as { cause?: { code?: string } }).cause;
        return { outcome: { kind: 'unreachable', message: cause?.code ?? String(e) } };
      }
    },
  };
}

export type GatewayClient = ReturnType<typeof createGatewayClient>;

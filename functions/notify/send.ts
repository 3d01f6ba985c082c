// The only I/O to receivers: one JSON POST with a deadline, and what its answer means for a retry.
import { createHash } from 'node:crypto';
import { createHttpClient, HttpTimeoutError } from '../../core/http/client.js';
import type { Outcome } from './plan.js';

export interface SendResult {
  outcome: Outcome;
  /** Receiver status, or the network error: for logs and the function's answer. */
  detail: string;
  status?: number;
}

/** 2xx: done. 408, 429, 5xx, timeouts and network errors may pass: retry. Any other 4xx: resending the same cannot help. */
export function outcomeOf(status: number): Outcome {
  if (status >= 200 && status < 300) return 'ok';
  return status === 408 || status === 429 || status >= 500 ? 'retry' : 'drop';
}

export type Poster = (url: string, body: string, headers: Record<string, string>) => Promise<SendResult>;

export function createPoster(o: { timeoutMs: number }): Poster & { close(): void } {
  // Few receivers, a few requests a minute: a small pool of keep-alive sockets per receiver.
  const http = createHttpClient({ maxSockets: 4 });
  const post: Poster = async (url, body, headers) => {
    try {
      const r = await http({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', ...headers },
        body: Buffer.from(body),
        timeoutMs: o.timeoutMs,
      });
      return { outcome: outcomeOf(r.status), status: r.status, detail: `HTTP ${r.status}` };
    } catch (e) {
      const detail = e instanceof HttpTimeoutError ? 'timeout' : String((e as Error).message ?? e);
      return { outcome: 'retry', detail };
    }
  };
  return Object.assign(post, { close: () => http.close() });
}

export const ALERTMANAGER_TARGET = 'alertmanager';

/** A webhook's name in the KV: a hash, since webhook URLs often carry a token. */
export const webhookTarget = (url: string) =>
  `webhook:${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;

/** A URL without its path and query, for logs (a Slack URL's path is its token). */
export const originOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return '[bad url]';
  }
};

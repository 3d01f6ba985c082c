// The connector's ack / retry / dead-letter choice: a pure function of one invocation's outcome and the
// attempt number, tested as a table (retry-decision.test.ts). Nothing here does I/O.

export type Outcome =
  | { kind: 'response'; status: number }
  | { kind: 'timeout' }
  /** The gateway itself could not be reached (connection refused, DNS): infrastructure, not the message. */
  | { kind: 'unreachable'; message: string };

export interface RetryPolicy {
  /** Attempts for retryable failures (429, 5xx, timeouts) before the message is dead-lettered. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export type Decision =
  | { action: 'ack' }
  | {
      action: 'retry';
      delayMs: number;
      reason: string /** false: does not use up an attempt */;
      counted: boolean;
    }
  | { action: 'dead-letter'; reason: string };

export function backoff(attempt: number, p: RetryPolicy): number {
  return Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/** `attempt` is 1 for the first invocation. */
export function decide(o: Outcome, attempt: number, p: RetryPolicy): Decision {
  if (o.kind === 'unreachable') {
    // The gateway being down says nothing about the message: wait for it forever instead of
    // dead-lettering every message in flight (connector-sdk reconnects the same way).
    return {
      action: 'retry',
      delayMs: backoff(attempt, p),
      reason: `gateway unreachable: ${o.message}`,
      counted: false,
    };
  }
  if (o.kind === 'response' && o.status >= 200 && o.status < 300) return { action: 'ack' };
  const reason = o.kind === 'timeout' ? 'timeout' : `HTTP ${o.status}`;
  const retryable = o.kind === 'timeout' || o.status === 408 || o.status === 429 || o.status >= 500;
  // 4xx other than 408/429: the function rejected the message itself; retrying cannot help.
  if (!retryable) return { action: 'dead-letter', reason };
  if (attempt >= p.maxAttempts)
    return { action: 'dead-letter', reason: `${reason} after ${attempt} attempts` };
  return { action: 'retry', delayMs: backoff(attempt, p), reason, counted: true };
}

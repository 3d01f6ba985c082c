// What to do with a producer call's outcome: the connectors' retry rule (core/retry-decision.ts), except that
// a busy (429) or unavailable (503) producer is waited for without limit. Syslog has no dead-letter
// queue, so giving up there would drop lines; waiting pauses the TCP readers instead. Pure.
import { backoff, decide, type Outcome, type RetryPolicy } from '../../core/retry-decision.js';

export type SendDecision =
  | { action: 'done' }
  | { action: 'retry'; delayMs: number; reason: string; counted: boolean }
  | { action: 'drop'; reason: string };

/** `attempt` counts the tries that use up an attempt (from 1); `tries` counts every try, for the delay. */
export function decideSend(o: Outcome, attempt: number, tries: number, p: RetryPolicy): SendDecision {
  const d = decide(o, attempt, p);
  if (d.action === 'ack') return { action: 'done' };
  if (o.kind === 'response' && (o.status === 429 || o.status === 503))
    return { action: 'retry', delayMs: backoff(tries, p), reason: `HTTP ${o.status}`, counted: false };
  if (d.action === 'dead-letter') return { action: 'drop', reason: d.reason };
  return { ...d, delayMs: backoff(tries, p) };
}

// What detect-anomaly records for stats, as pure KV writes for one batch (applied atomically with the
// batch's idempotency key). The read side is in read.ts; the key layout is in keys.ts.
// OWNER: stats issue (#6) grows this; detect-anomaly only calls statsWrites().
import type { AnomalyResult, LogEvent } from '../event.js';
import type { WriteOp } from '../kv/types.js';

export interface BatchOutcome {
  events: LogEvent[];
  anomalies: AnomalyResult[];
  /** Epoch ms when the batch was processed. */
  now: number;
}

export const KEYS = {
  counters: 'stats:counters',
  recentAnomalies: 'stats:anomalies:recent',
} as const;

export function statsWrites(o: BatchOutcome): WriteOp[] {
  const ops: WriteOp[] = [
    { op: 'hincrby', key: KEYS.counters, field: 'total', by: o.events.length },
    { op: 'hincrby', key: KEYS.counters, field: 'anomalies', by: o.anomalies.length },
  ];
  if (o.anomalies.length) {
    ops.push({
      op: 'lpush',
      key: KEYS.recentAnomalies,
      values: o.anomalies.slice(-100).map((a) => JSON.stringify(a)),
      cap: 100,
    });
  }
  return ops;
}

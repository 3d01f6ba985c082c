// Per-event feature vectors (pure). Each feature, and why, is in docs/detect-anomaly.md. Counters come
// from the store (per source, counters.ts) plus this batch's own contributions (deltas.ts), read through
// a CounterView (counter-view.ts), so a batch sees itself.
import type { CounterView } from './counter-view.js';
import { lg } from './counters.js';
import type { EventKeys } from './event-keys.js';

export const FEATURE_NAMES = [
  'latency',
  'status',
  'level',
  'template_rarity',
  'endpoint_rarity',
  'param_length',
  'message_length',
  'error_burst',
  'event_rate',
] as const;
export const DIMS = FEATURE_NAMES.length;
export const F = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<
  (typeof FEATURE_NAMES)[number],
  number
>;

/** Spread floor for latency z-scores: 0.25 in log2 units, about +-19%; tighter endpoints are not that exact. */
const MIN_LAT_SD = 0.25;

/** Latency as a z-score of log2(ms + 1) against its endpoint/template; 0 without a baseline. */
export function latencyZ(k: EventKeys, v: CounterView): number {
  if (k.latency === undefined) return 0;
  const s = v.latencyLog(k.latKey);
  if (!s) return 0;
  return Math.max(-20, Math.min(20, (lg(k.latency) - s.mean) / Math.max(s.sd, MIN_LAT_SD)));
}

/**
 * Events per window at this event's time: the window's count so far divided by the time elapsed in it
 * (at least `minElapsedMs`, so the first events of a window do not look like a surge or a lull).
 */
export function rateSoFar(k: EventKeys, countSoFar: number, windowMs: number, minElapsedMs: number): number {
  const elapsed = Math.max(minElapsedMs, k.ts - k.bucket * windowMs);
  return (countSoFar * windowMs) / Math.min(windowMs, elapsed);
}

/** Writes the feature vector of one event at `out[off..off+DIMS)`. */
export function featurize(k: EventKeys, v: CounterView, out: Float64Array, off: number): void {
  const total = v.total();
  const t = v.template(k.tpl);
  const n = t.n;
  out[off + F.latency] = latencyZ(k, v);
  out[off + F.status] = k.status === undefined ? 0 : k.status >= 500 ? 2 : k.status >= 400 ? 1 : 0;
  out[off + F.level] = k.severity;
  out[off + F.template_rarity] = Math.log10((total + 1) / Math.max(1, n));
  out[off + F.endpoint_rarity] = k.endpoint
    ? Math.log10((total + 1) / Math.max(1, v.endpoint(k.endpoint)))
    : 0;
  out[off + F.param_length] = n > 0 ? lg(k.paramMax) - t.pl : 0;
  out[off + F.message_length] = n > 0 ? lg(k.msgLen) - t.ml : 0;
  const w = v.window(k.bucket);
  out[off + F.error_burst] = k.isError && w.n > 0 ? w.err / w.n : 0;
  const usual = v.usualRate(k.bucket);
  out[off + F.event_rate] = usual ? Math.max(0, Math.log2(k.rate / usual)) : 0;
}

// Each event's rate (events per window around it) and, with it, the batch's feature vectors (pure).
import type { DetectConfig } from './config.js';
import type { CounterView } from './counter-view.js';
import type { SourceCounters } from './counters.js';
import type { EventKeys } from './event-keys.js';
import { DIMS, featurize, rateSoFar } from './features.js';

/** Feature vectors of events in input order (sets each key's rate as a side effect). */
export function featurizeAll(
  keys: EventKeys[],
  view: CounterView,
  base: SourceCounters,
  cfg: DetectConfig,
): Float64Array {
  const vectors = new Float64Array(keys.length * DIMS);
  const soFar = new Map<number, number>();
  const times = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) times[i] = keys[i].ts;
  times.sort();
  for (let i = 0; i < keys.length; i++) {
    const b = keys[i].bucket;
    const c = (soFar.get(b) ?? base.windows.get(b)?.n ?? 0) + 1;
    soFar.set(b, c);
    setRate(keys[i], c, times, cfg.windowMs);
    featurize(keys[i], view, vectors, i * DIMS);
  }
  return vectors;
}

/**
 * Sets an event's rate: the batch's own look-back when it covers 500 ms before the event, else (at a
 * batch's start) the larger of the partial look-back (a lower bound) and the window so far (`countSoFar`
 * events of the window up to this one). `sortedTs`: the batch's event times, ascending.
 */
export function setRate(k: EventKeys, countSoFar: number, sortedTs: Float64Array, windowMs: number): void {
  // localRate inlined: it runs per event, and its result object was garbage to collect.
  const count = lookBackCount(sortedTs, k.ts);
  const enough = count >= MIN_RATE_EVENTS;
  const rate = (count * windowMs) / LOOKBACK_MS;
  if (enough && sortedTs[0] <= k.ts - LOOKBACK_MS) {
    k.rate = rate;
    k.rateCount = count;
  } else {
    const win = rateSoFar(k, countSoFar, windowMs, MIN_ELAPSED_MS);
    const useLocal = enough && rate > win;
    k.rate = useLocal ? rate : win;
    k.rateCount = useLocal ? count : countSoFar;
  }
}

/** A window's rate is judged after at least 1 s of it, so its first few events do not look like a surge. */
const MIN_ELAPSED_MS = 1000;
/** A rate is only judged on at least this many events (a surge is many events, not one early one). */
export const MIN_RATE_EVENTS = 10;
/** Look-back of the in-batch rate: 500 ms holds ~25 events at 50/s, enough to tell 4x from noise. */
const LOOKBACK_MS = 500;

/**
 * Events per window at time t measured on the batch itself (events in (t - 500 ms, t]), when the batch
 * covers that look-back; it follows a surge's start and end within a second, unlike a window count.
 */
export function localRate(
  sortedTs: Float64Array,
  t: number,
  windowMs: number,
): { rate: number; count: number; covered: boolean } | undefined {
  const count = lookBackCount(sortedTs, t);
  // A handful of events says nothing about a rate (sparse or sampled logs); use the window instead.
  if (count < MIN_RATE_EVENTS) return undefined;
  // Covered: the batch reaches a full look-back before t; otherwise the count is a lower bound.
  return { rate: (count * windowMs) / LOOKBACK_MS, count, covered: sortedTs[0] <= t - LOOKBACK_MS };
}

/** Events of the batch in (t - LOOKBACK_MS, t]. */
function lookBackCount(sortedTs: Float64Array, t: number): number {
  return upperBound(sortedTs, t) - upperBound(sortedTs, t - LOOKBACK_MS);
}

function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

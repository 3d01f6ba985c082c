// A batch's changes to a source's counters (pure): counts, first sightings and running means.
import { countTracked, lg, type SourceCounters, type WindowCount } from './counters.js';
import type { EventKeys } from './event-keys.js';

interface KeyAgg {
  n: number;
  /** Sums of log2(len + 1) of message and longest parameter (templates), or of latency and its square. */
  a: number;
  b: number;
  /** Source event count, and event time (epoch ms), when first seen in this batch. */
  first: number;
  ts: number;
  /** Errors (templates: error/fatal level or 5xx; endpoints: 5xx). */
  x: number;
}

/**
 * Means follow the last ~10,000 observations of a key: below that they are the exact cumulative means,
 * beyond it an exponentially weighted mean with that horizon, so a baseline follows slow change and a
 * 100-request spike moves it by 1% of its size. Written as values, a concurrent replica's batch can be
 * lost from a mean (last write wins); a mean of thousands of observations does not notice.
 */
export const NORM_HORIZON = 10_000;

/** The stored mean of `field`, or an older store's `sum / count`. */
function storedMean(stats: Map<string, number>, field: string, sumField: string, count: number) {
  const m = stats.get(field);
  if (m !== undefined) return m;
  const sum = stats.get(sumField);
  return sum !== undefined && count > 0 ? sum / count : undefined;
}

/** The mean after adding a batch of nB observations with mean `batchMean` to nOld observations. */
function blend(
  old: number | undefined,
  nOld: number,
  batchMean: number,
  nB: number,
  horizon: number,
): number {
  if (old === undefined || nOld <= 0) return batchMean;
  return old + Math.min(1, nB / Math.min(nOld + nB, horizon)) * (batchMean - old);
}

/** Means are stored with 6 decimals (log2 units: far below any threshold). */
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * This batch's changes to a source's counters, honouring the cap on tracked templates/endpoints.
 * Aggregated per distinct key first (field names are built once per key, not per event).
 */
export function batchDeltas(
  keys: EventKeys[],
  base: SourceCounters,
  maxTracked: number,
  /** Offline analysis wants exact means over the whole file: Infinity. */
  horizon = NORM_HORIZON,
): SourceCounters {
  const windows = new Map<number, WindowCount>();
  const tpls = new Map<string, KeyAgg>();
  const eps = new Map<string, KeyAgg>();
  const lats = new Map<string, KeyAgg>();
  /** Keys over the cap, remembered so they are judged once. */
  const untracked = new Set<string>();
  let n = base.stats.get('_n') ?? 0;
  let tracked = countTracked(base.stats);
  // The field name is built only for a key not yet in the map (once per distinct key, not per event).
  const track = (map: Map<string, KeyAgg>, prefix: string, key: string, ts: number): KeyAgg | undefined => {
    let a = map.get(key);
    if (a) return a;
    const field = prefix + key;
    if (untracked.has(field)) return undefined;
    if (!base.stats.has(field)) {
      if (tracked >= maxTracked) {
        untracked.add(field);
        return undefined;
      }
      tracked++;
    }
    a = { n: 0, a: 0, b: 0, first: n, ts, x: 0 };
    map.set(key, a);
    return a;
  };
  let lastBucket = Number.NaN;
  let w: WindowCount = { n: 0, err: 0 };
  for (const k of keys) {
    n++;
    const t = track(tpls, 't:', k.tpl, k.ts);
    if (t) {
      t.n++;
      t.a += lg(k.msgLen);
      t.b += lg(k.paramMax);
      if (k.isError) t.x++;
    }
    const e = k.endpoint !== undefined ? track(eps, 'e:', k.endpoint, k.ts) : undefined;
    if (e) {
      e.n++;
      if (k.status !== undefined && k.status >= 500) e.x++;
    }
    if (k.latency !== undefined && (k.endpoint !== undefined ? e : t)) {
      let l = lats.get(k.latKey);
      if (!l) lats.set(k.latKey, (l = { n: 0, a: 0, b: 0, first: 0, ts: 0, x: 0 }));
      const x = lg(k.latency);
      l.n++;
      l.a += x;
      l.b += x ** 2;
    }
    if (k.bucket !== lastBucket) {
      lastBucket = k.bucket;
      const got = windows.get(k.bucket);
      if (got) w = got;
      else windows.set(k.bucket, (w = { n: 0, err: 0 }));
    }
    w.n++;
    if (k.isError) w.err++;
  }
  const stats = new Map<string, number>();
  const sets = new Map<string, number>();
  const firsts = new Map<string, number>();
  const bs = base.stats;
  if (keys.length) stats.set('_n', keys.length);
  let errors = 0;
  for (const k of keys) if (k.isError) errors++;
  if (errors) stats.set('_x', errors);
  // A running mean's new value: the stored one (or an older store's sum) blended with the batch's.
  const setMean = (field: string, legacySum: string, nOld: number, batchMean: number, nBatch: number) =>
    sets.set(field, r6(blend(storedMean(bs, field, legacySum, nOld), nOld, batchMean, nBatch, horizon)));
  for (const [tpl, a] of tpls) {
    if (!bs.has(`f:${tpl}`)) firsts.set(`f:${tpl}`, a.first);
    // Its first event time too (stores from before it have none: those templates get it now).
    if (!bs.has(`ft:${tpl}`)) firsts.set(`ft:${tpl}`, a.ts);
    stats.set(`t:${tpl}`, a.n);
    if (a.x) stats.set(`x:${tpl}`, a.x);
    const nOld = bs.get(`t:${tpl}`) ?? 0;
    setMean(`mm:${tpl}`, `ml:${tpl}`, nOld, a.a / a.n, a.n);
    setMean(`pm:${tpl}`, `pl:${tpl}`, nOld, a.b / a.n, a.n);
  }
  for (const [ep, a] of eps) {
    if (!bs.has(`f:e:${ep}`)) firsts.set(`f:e:${ep}`, a.first);
    stats.set(`e:${ep}`, a.n);
    if (a.x) stats.set(`x:e:${ep}`, a.x);
  }
  for (const [key, a] of lats) {
    const nOld = bs.get(`ln:${key}`) ?? 0;
    sets.set(`ln:${key}`, nOld + a.n);
    setMean(`lm:${key}`, `ls:${key}`, nOld, a.a / a.n, a.n);
    setMean(`lv:${key}`, `lq:${key}`, nOld, a.b / a.n, a.n);
  }
  return { stats, sets, windows, firsts };
}

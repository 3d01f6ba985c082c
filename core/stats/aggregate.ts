// Folds the stored minute/hour hashes back into counts and mergeable histograms. Pure.
import {
  addTo,
  countOf,
  type Histogram,
  mergeInto,
  OVERALL_PER_OCTAVE,
  percentiles,
  round3,
} from './histogram.js';

export interface EndpointTotals {
  n: number;
  sum: number;
  errors: number;
  hist: Histogram;
}

export interface Totals {
  events: number;
  anomalies: number;
  levels: Map<string, number>;
  statuses: Map<string, number>;
  sources: Map<string, number>;
  latCount: number;
  latSum: number;
  lat: Histogram;
  endpoints: Map<string, EndpointTotals>;
}

export function emptyTotals(): Totals {
  return {
    events: 0,
    anomalies: 0,
    levels: new Map(),
    statuses: new Map(),
    sources: new Map(),
    latCount: 0,
    latSum: 0,
    lat: new Map(),
    endpoints: new Map(),
  };
}

const num = (v: string | undefined): number => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};

function bump(m: Map<string, number>, k: string, by: number): void {
  if (by) m.set(k, (m.get(k) ?? 0) + by);
}

function endpointOf(t: Totals, ep: string): EndpointTotals {
  let e = t.endpoints.get(ep);
  if (!e) t.endpoints.set(ep, (e = { n: 0, sum: 0, errors: 0, hist: new Map() }));
  return e;
}

/**
 * Adds one minute, ten-minute or hour hash (field layout in keys.ts FIELDS) into `t`. Hot loop (a 24 h
 * read folds about 10,000 fields): fields are told apart by their first characters and cut with
 * indexOf, not split into arrays. Latency counts (`ln`, `ep|<e>|n`) are not read: they always equal
 * the sum of the matching histogram's buckets, which is what they are computed from (see finishTotals).
 */
export function addHash(t: Totals, rec: Record<string, string>): void {
  for (const f in rec) {
    const n = num(rec[f]);
    if (!n) continue;
    switch (f.charCodeAt(0)) {
      case 110: // n
        if (f.length === 1) t.events += n;
        break;
      case 97: // a
        if (f.length === 1) t.anomalies += n;
        break;
      case 108: // l: ls, lv|<level>, l|<bucket> (ln is derived)
        if (f === 'ls') t.latSum += n;
        else if (f.charCodeAt(1) === 124) addTo(t.lat, Number(f.slice(2)), n);
        else if (f.startsWith('lv|')) bump(t.levels, f.slice(3), n);
        break;
      case 115: // st|<class>, src|<source>
        if (f.startsWith('st|')) bump(t.statuses, f.slice(3), n);
        else if (f.startsWith('src|')) bump(t.sources, f.slice(4), n);
        break;
      case 101: {
        // ep|<endpoint>|s, |x, |h|<bucket> (|n is derived); endpoints never contain `|`.
        if (!f.startsWith('ep|')) break;
        const cut = f.indexOf('|', 3);
        if (cut < 0) break;
        const kind = f.charCodeAt(cut + 1);
        if (kind === 115) endpointOf(t, f.slice(3, cut)).sum += n;
        else if (kind === 120) endpointOf(t, f.slice(3, cut)).errors += n;
        else if (kind === 104) addTo(endpointOf(t, f.slice(3, cut)).hist, Number(f.slice(cut + 3)), n);
        break;
      }
    }
  }
  finishTotals(t);
}

/** Sets the latency counts from the histograms (they are the same samples). */
function finishTotals(t: Totals): void {
  t.latCount = countOf(t.lat);
  for (const e of t.endpoints.values()) e.n = countOf(e.hist);
}

/** Adds `from` into `into` (both folded hashes); `from` is left unchanged. */
export function mergeTotals(into: Totals, from: Totals): void {
  into.events += from.events;
  into.anomalies += from.anomalies;
  into.latCount += from.latCount;
  into.latSum += from.latSum;
  for (const [k, n] of from.levels) bump(into.levels, k, n);
  for (const [k, n] of from.statuses) bump(into.statuses, k, n);
  for (const [k, n] of from.sources) bump(into.sources, k, n);
  mergeInto(into.lat, from.lat);
  for (const [ep, e] of from.endpoints) {
    const to = endpointOf(into, ep);
    to.n += e.n;
    to.sum += e.sum;
    to.errors += e.errors;
    mergeInto(to.hist, e.hist);
  }
}

export function percentilesOf(h: Histogram, count: number, sum: number, perOctave = OVERALL_PER_OCTAVE) {
  const c = count || countOf(h);
  const [p50, p95, p99] = percentiles(h, [0.5, 0.95, 0.99], perOctave);
  return { count: c, mean_ms: c ? round3(sum / c) : null, p50_ms: p50, p95_ms: p95, p99_ms: p99 };
}

/** Sorted object from a count map, largest first. */
export function toRecord(m: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...m].sort((x, y) => y[1] - x[1]));
}

export const rate = (part: number, whole: number): number =>
  whole > 0 ? Math.round((part / whole) * 1e6) / 1e6 : 0;

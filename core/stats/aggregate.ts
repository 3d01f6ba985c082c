// Folds the stored minute/hour hashes back into counts and mergeable histograms. Pure.
import { addTo, countOf, type Histogram, OVERALL_PER_OCTAVE, percentile, round3 } from './histogram.js';

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

/** Adds one minute or hour hash (field layout in keys.ts FIELDS) into `t`. */
export function addHash(t: Totals, rec: Record<string, string>): void {
  for (const [f, v] of Object.entries(rec)) {
    const n = num(v);
    const parts = f.split('|');
    switch (parts[0]) {
      case 'n':
        t.events += n;
        break;
      case 'a':
        t.anomalies += n;
        break;
      case 'ln':
        t.latCount += n;
        break;
      case 'ls':
        t.latSum += n;
        break;
      case 'lv':
        bump(t.levels, parts[1], n);
        break;
      case 'st':
        bump(t.statuses, parts[1], n);
        break;
      case 'src':
        bump(t.sources, parts[1], n);
        break;
      case 'l':
        addTo(t.lat, Number(parts[1]), n);
        break;
      case 'ep': {
        const ep = parts[1];
        let e = t.endpoints.get(ep);
        if (!e) t.endpoints.set(ep, (e = { n: 0, sum: 0, errors: 0, hist: new Map() }));
        if (parts[2] === 'n') e.n += n;
        else if (parts[2] === 's') e.sum += n;
        else if (parts[2] === 'x') e.errors += n;
        else if (parts[2] === 'h') addTo(e.hist, Number(parts[3]), n);
        break;
      }
    }
  }
}

export function percentilesOf(h: Histogram, count: number, sum: number, perOctave = OVERALL_PER_OCTAVE) {
  const c = count || countOf(h);
  return {
    count: c,
    mean_ms: c ? round3(sum / c) : null,
    p50_ms: percentile(h, 0.5, perOctave),
    p95_ms: percentile(h, 0.95, perOctave),
    p99_ms: percentile(h, 0.99, perOctave),
  };
}

/** Sorted object from a count map, largest first. */
export function toRecord(m: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...m].sort((x, y) => y[1] - x[1]));
}

export const rate = (part: number, whole: number): number =>
  whole > 0 ? Math.round((part / whole) * 1e6) / 1e6 : 0;

// Mergeable latency histograms: log-spaced buckets (DDSketch-style, fixed gamma), stored as sparse
// hash fields so replicas can add into the same bucket with HINCRBY and percentiles stay right after
// merging. With `perOctave` buckets per doubling, bucket i holds values in (g^(i-1), g^i] ms where
// g = 2^(1/perOctave); a reported percentile (the bucket's geometric midpoint) is within (g-1)/(g+1)
// of the true value: ~9% for the overall histogram (4 per octave), ~17% per endpoint (2 per octave,
// half the hash fields, since up to 50 endpoints share each bucket hash).

/** Buckets per doubling for the overall latency histogram. */
export const OVERALL_PER_OCTAVE = 4;
/** Buckets per doubling for per-endpoint histograms. */
export const ENDPOINT_PER_OCTAVE = 2;
export const GAMMA = 2 ** (1 / OVERALL_PER_OCTAVE);
/** Values at or below 2^-10 ms (about 1 microsecond) share the lowest bucket. */
const MIN_LOG2 = -10;
/** Values above 2^25 ms (about 9 h) share the highest bucket. */
const MAX_LOG2 = 25;

/** Sparse histogram: bucket index -> count. */
export type Histogram = Map<number, number>;

export function bucketOf(ms: number, perOctave = OVERALL_PER_OCTAVE): number {
  const lo = MIN_LOG2 * perOctave;
  if (!(ms > 0)) return lo;
  const i = Math.ceil(perOctave * Math.log2(ms) - 1e-9);
  return Math.min(MAX_LOG2 * perOctave, Math.max(lo, i));
}

/** Representative value of a bucket: its geometric midpoint. */
export function bucketValue(i: number, perOctave = OVERALL_PER_OCTAVE): number {
  return 2 ** ((i - 0.5) / perOctave);
}

export function addTo(h: Histogram, bucket: number, n: number): void {
  if (n) h.set(bucket, (h.get(bucket) ?? 0) + n);
}

export function mergeInto(into: Histogram, from: Histogram): void {
  for (const [b, n] of from) addTo(into, b, n);
}

export function countOf(h: Histogram): number {
  let n = 0;
  for (const c of h.values()) n += c;
  return n;
}

/** Nearest-rank percentile (q in 0..1); null for an empty histogram. */
export function percentile(h: Histogram, q: number, perOctave = OVERALL_PER_OCTAVE): number | null {
  return percentiles(h, [q], perOctave)[0];
}

/** Nearest-rank percentiles for ascending `qs` in one pass over the sorted buckets; nulls when empty. */
export function percentiles(h: Histogram, qs: number[], perOctave = OVERALL_PER_OCTAVE): (number | null)[] {
  const total = countOf(h);
  if (total === 0) return qs.map(() => null);
  const sorted = [...h.keys()].sort((x, y) => x - y);
  const out: (number | null)[] = [];
  let k = 0;
  let seen = 0;
  for (const q of qs) {
    const rank = Math.max(1, Math.ceil(q * total));
    while (k < sorted.length - 1 && seen + (h.get(sorted[k]) ?? 0) < rank) seen += h.get(sorted[k++]) ?? 0;
    out.push(round3(bucketValue(sorted[k], perOctave)));
  }
  return out;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

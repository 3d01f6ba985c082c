// Mergeable latency histograms: log-spaced buckets (DDSketch-style, fixed gamma), stored as sparse
// hash fields so replicas can add into the same bucket with HINCRBY and percentiles stay right after
// merging. Bucket i holds values in (GAMMA^(i-1), GAMMA^i] ms; GAMMA = 2^(1/4), so any reported
// percentile is within ~9% of the true value (relative accuracy (GAMMA-1)/(GAMMA+1)).

export const GAMMA = 2 ** 0.25;
/** 2^-10 ms (about 1 microsecond): everything at or below lands in this bucket. */
export const MIN_BUCKET = -40;
/** 2^25 ms (about 9 h): everything above is clamped here. */
export const MAX_BUCKET = 100;

/** Sparse histogram: bucket index -> count. */
export type Histogram = Map<number, number>;

export function bucketOf(ms: number): number {
  if (!(ms > 0)) return MIN_BUCKET;
  const i = Math.ceil(4 * Math.log2(ms) - 1e-9);
  return Math.min(MAX_BUCKET, Math.max(MIN_BUCKET, i));
}

/** Representative value of a bucket: its geometric midpoint. */
export function bucketValue(i: number): number {
  return GAMMA ** (i - 0.5);
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
export function percentile(h: Histogram, q: number): number | null {
  const total = countOf(h);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const b of [...h.keys()].sort((x, y) => x - y)) {
    seen += h.get(b) ?? 0;
    if (seen >= rank) return round3(bucketValue(b));
  }
  return round3(bucketValue(Math.max(...h.keys())));
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

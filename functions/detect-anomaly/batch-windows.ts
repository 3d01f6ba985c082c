// Which windows of which sources a batch touches: what the detector reads the state of (pure).

/** Each source's distinct windows (bucketOf its rows' times). */
export function bucketsBySource(
  sources: readonly string[],
  times: readonly number[],
  bucketOf: (t: number) => number,
): Map<string, number[]> {
  const sets = new Map<string, Set<number>>();
  for (let i = 0; i < sources.length; i++) {
    const b = bucketOf(times[i]);
    const set = sets.get(sources[i]);
    if (set) set.add(b);
    else sets.set(sources[i], new Set([b]));
  }
  return new Map([...sets].map(([s, set]) => [s, [...set]]));
}

/** `buckets` with each source renamed by `to` (sources that meet merged); the same map when none changes. */
export function mergeSources(
  buckets: Map<string, number[]>,
  to: (s: string) => string,
): Map<string, number[]> {
  if ([...buckets.keys()].every((s) => to(s) === s)) return buckets;
  const merged = new Map<string, number[]>();
  for (const [s, bs] of buckets) merged.set(to(s), [...new Set([...(merged.get(to(s)) ?? []), ...bs])]);
  return merged;
}

/** Whether both name the same sources with the same first and last window (what readBatchState reads). */
export function sameRanges(a: Map<string, number[]>, b: Map<string, number[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [s, x] of a) {
    const y = b.get(s);
    if (!y || Math.min(...x) !== Math.min(...y) || Math.max(...x) !== Math.max(...y)) return false;
  }
  return true;
}

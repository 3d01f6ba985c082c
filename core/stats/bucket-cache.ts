// Keeps the stored hashes of closed time buckets in process memory. Buckets are keyed by the time a batch
// was processed, so once a bucket's period has ended (plus a grace period for replica clock skew and
// in-flight batches) it never changes again: a 24 h read then fetches only the open buckets.

/** A bucket is final this long after its period ended (replica clock skew + a batch still being applied). */
export const CLOSE_GRACE_MS = 2 * 60_000;
/** Hashes kept; a 24 h read needs about 80 closed ones, the 1 h and 15 min windows a few dozen. */
export const DEFAULT_CACHE_ENTRIES = 400;

export interface KeyedBucket {
  key: string;
  /** Epoch ms when the bucket's period ends; Infinity for keys that never close (counters). */
  endMs: number;
}

export class BucketCache {
  private readonly map = new Map<string, Record<string, string>>();
  constructor(private readonly maxEntries = DEFAULT_CACHE_ENTRIES) {}

  /** Reads `buckets` in one hgetallMany, taking closed ones from the cache and caching those fetched. */
  async read(
    buckets: KeyedBucket[],
    now: number,
    fetch: (keys: string[]) => Promise<Record<string, string>[]>,
  ): Promise<Record<string, string>[]> {
    const out: (Record<string, string> | undefined)[] = buckets.map((b) => this.map.get(b.key));
    const missing = buckets.map((_, i) => (out[i] ? -1 : i)).filter((i) => i >= 0);
    if (missing.length) {
      const got = await fetch(missing.map((i) => buckets[i].key));
      missing.forEach((i, k) => {
        out[i] = got[k] ?? {};
        if (buckets[i].endMs + CLOSE_GRACE_MS < now) this.put(buckets[i].key, out[i]);
      });
    }
    return out as Record<string, string>[];
  }

  get size(): number {
    return this.map.size;
  }

  private put(key: string, value: Record<string, string>): void {
    this.map.set(key, value);
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.map.delete(oldest);
    }
  }
}

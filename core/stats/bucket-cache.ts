// Keeps the closed time buckets of the stats key layout in process memory, already parsed. Buckets are
// keyed by the time a batch was processed, so once a bucket's period has ended (plus a grace period for
// replica clock skew and in-flight batches) it never changes again: a 24 h read then fetches and parses
// only the open buckets (about 5 hashes instead of 190, 600 fields instead of ~25,000).

/** A bucket is final this long after its period ended (replica clock skew + a batch still being applied). */
export const CLOSE_GRACE_MS = 2 * 60_000;
/**
 * Buckets kept; a 24 h read needs about 190 closed ones (144 ten-minute blocks, 24 throughput and 24
 * template hours), a filtered view as many again, the 1 h and 15 min windows a few dozen more.
 */
export const DEFAULT_CACHE_ENTRIES = 600;

/** Memoized merges kept (one per window size in use: the dashboard offers six). */
const MEMO_ENTRIES = 6;

export interface KeyedBucket {
  key: string;
  /** Cache identity when one key is parsed more than one way (a by-source hash per source filter); default key. */
  id?: string;
  /** Epoch ms when the bucket's period ends; Infinity for keys that never close (counters). */
  endMs: number;
  /** Turns the stored hash into what the reader folds; the cache keeps this, not the strings. */
  parse: (hash: Record<string, string>) => unknown;
}

/** Fetches and parses `buckets` in one hgetallMany, without a cache. */
export async function readBuckets(
  buckets: KeyedBucket[],
  fetch: (keys: string[]) => Promise<Record<string, string>[]>,
): Promise<unknown[]> {
  const got = await fetch(buckets.map((b) => b.key));
  return buckets.map((b, i) => b.parse(got[i] ?? {}));
}

export class BucketCache {
  private readonly map = new Map<string, unknown>();
  constructor(private readonly maxEntries = DEFAULT_CACHE_ENTRIES) {}

  /** Reads `buckets` in one hgetallMany, taking closed ones from the cache and caching those fetched. */
  async read(
    buckets: KeyedBucket[],
    now: number,
    fetch: (keys: string[]) => Promise<Record<string, string>[]>,
  ): Promise<unknown[]> {
    const out: unknown[] = buckets.map((b) => this.map.get(b.id ?? b.key));
    const missing = buckets.map((_, i) => (out[i] === undefined ? i : -1)).filter((i) => i >= 0);
    if (missing.length) {
      const got = await fetch(missing.map((i) => buckets[i].key));
      missing.forEach((i, k) => {
        out[i] = buckets[i].parse(got[k] ?? {});
        if (buckets[i].endMs + CLOSE_GRACE_MS < now) this.put(buckets[i].id ?? buckets[i].key, out[i]);
      });
    }
    return out;
  }

  /**
   * `make()` for `id`, kept for the MEMO_ENTRIES most recent ids: the merge of a window's closed buckets,
   * keyed by their keys, is the same until the window moves past a bucket boundary (every 10 min for 24 h);
   * a few entries let dashboards on different windows share one replica without recomputing.
   */
  memo<T>(id: string, make: () => T): T {
    let value = this.memos.get(id);
    if (value === undefined) value = make();
    this.memos.delete(id);
    this.memos.set(id, value);
    while (this.memos.size > MEMO_ENTRIES) this.memos.delete(this.memos.keys().next().value as string);
    return value as T;
  }

  private readonly memos = new Map<string, unknown>();

  get size(): number {
    return this.map.size;
  }

  private put(key: string, value: unknown): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.map.delete(oldest);
    }
  }
}

// The narrow key-value interface every function's shared state goes through.
// Two implementations: Redis (redis.ts) and embedded (memory.ts); one contract suite (kv.contract.test.ts).

/** One write. A batch of writes is applied atomically by KV.apply. */
export type WriteOp =
  | { op: 'hincrby'; key: string; field: string; by: number }
  | { op: 'hincrbyfloat'; key: string; field: string; by: number }
  | { op: 'hset'; key: string; fields: Record<string, string> }
  /** Set a hash field only if absent (first-seen timestamps). */
  | { op: 'hsetnx'; key: string; field: string; value: string }
  | { op: 'set'; key: string; value: string; ttlMs?: number }
  /** Push to the head of a list and trim it to `cap` items. */
  | { op: 'lpush'; key: string; values: string[]; cap: number }
  | { op: 'expire'; key: string; ttlMs: number }
  | { op: 'del'; key: string }
  /**
   * Bounded increment: increments `field` if it exists or the hash has fewer than `maxFields` fields,
   * else `otherField` (which may grow the hash past `maxFields`: a hash is bounded by `maxFields` plus
   * its distinct otherFields). `float` makes it HINCRBYFLOAT, else HINCRBY. The choice and the write are
   * one atomic step, so concurrent writers cannot overshoot the cap.
   */
  | {
      op: 'hincrbyCapped';
      key: string;
      field: string;
      by: number;
      float?: boolean;
      maxFields: number;
      otherField: string;
    }
  /**
   * Bounded hash set: sets `field` (only if absent with `nx`, as hsetnx) if it exists or the hash has fewer
   * than `maxFields` fields, else sets `otherField` to `otherValue` (default `value`), with the same `nx`.
   */
  /**
   * Byte- and count-bounded ring of blobs (kept events, core/search): SET `{key}:{id}` to `blob` (expiring
   * after ttlMs), LPUSH `{bytes}\t{id}\t{meta}` to `key` (bytes: UTF-8 size of blob and meta) and add
   * them to the integer at `{key}:bytes`; then, while the total passes maxBytes or the ring maxItems, pop
   * the oldest entry (keeping the newest), delete its blob and subtract its bytes. The ring and its total
   * expire after ttlMs without a push. The reader: lrange(key) then mget(`{key}:{id}`).
   */
  | {
      op: 'ringPush';
      key: string;
      id: string;
      /** Text, or its UTF-8 bytes (kept as text either way). */
      blob: string | Uint8Array;
      meta: string;
      maxBytes: number;
      maxItems: number;
      ttlMs: number;
    }
  | {
      op: 'hsetCapped';
      key: string;
      field: string;
      value: string;
      nx?: boolean;
      maxFields: number;
      otherField: string;
      otherValue?: string;
    };

export interface ApplyOptions {
  /**
   * Idempotency key: the writes are applied only if this key was never applied before, and the key is
   * recorded in the same atomic step. This is what turns at-least-once delivery into exactly-once effects.
   */
  onceKey?: string;
  /** How long an idempotency key is remembered (default 24 h). */
  onceTtlMs?: number;
}

export interface StorageInfo {
  kind: 'redis' | 'embedded';
  /** Memory the store uses, in bytes. */
  usedBytes: number;
  /** Bytes on disk (AOF/RDB for Redis, the snapshot file for the embedded store), when known. */
  persistedBytes?: number;
  keys?: number;
}

export interface KV {
  get(key: string): Promise<string | null>;
  mget(keys: string[]): Promise<(string | null)[]>;
  hgetall(key: string): Promise<Record<string, string>>;
  /** hgetall for many keys in one round trip. */
  hgetallMany(keys: string[]): Promise<Record<string, string>[]>;
  /** Some fields of one hash, in order; null for a missing field (or key). */
  hmget(key: string, fields: string[]): Promise<(string | null)[]>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  llen(key: string): Promise<number>;
  /** SET NX PX: true if this call set it (locks, leader election). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Delete `key` only if it still holds `value` (safe lock release). */
  delIfEquals(key: string, value: string): Promise<boolean>;
  /**
   * Applies all writes atomically in one round trip. Returns false if `onceKey` was already applied.
   * On a Redis Cluster, atomic per hash slot: a batch over several slots is applied one part per slot,
   * the first op's slot last (docs/stores.md, Redis Cluster), so a writer can put the key that readers
   * poll for changes first.
   */
  apply(ops: WriteOp[], opts?: ApplyOptions): Promise<boolean>;
  /** Keys under a prefix (relative to the store's namespace). Bounded use only: admin and tests. */
  keys(prefix: string): Promise<string[]>;
  info(): Promise<StorageInfo>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

// The search store's bounds (docs/search.md): read by detect-anomaly (the writer) and the search function.
import type { EnvReader } from '../env.js';

export interface SearchStoreConfig {
  /** SEARCH_INDEX: whether detect-anomaly keeps events for search at all. */
  enabled: boolean;
  /** SEARCH_RETENTION: how long (arrival time) an event stays searchable. */
  retentionMs: number;
  /** SEARCH_MAX_BYTES: the store's size bound (blobs and index entries, UTF-8); the oldest go first. */
  maxBytes: number;
  /** SEARCH_MAX_CHUNKS: index entries kept, so one query's index read stays bounded too. */
  maxChunks: number;
}

export const DEFAULT_SEARCH_STORE: SearchStoreConfig = Object.freeze({
  enabled: true,
  // 24 h: a day back covers "what happened overnight"; older questions belong to a log archive.
  retentionMs: 24 * 3_600_000,
  // 256 MB: a small share of a Redis sized for logfaas; at ~150 B a stored line, ~1.7 M lines.
  maxBytes: 256 * 1024 * 1024,
  // 20,000: ~1 s of index read at most; at 2,000-line batches the byte bound binds long before.
  maxChunks: 20_000,
});

/**
 * 16 MB without Redis: the embedded KV holds the lines in the process's heap and writes its whole
 * snapshot every 5 s, and `npm start` stays under 150 MB of RSS (docs/reliability.md).
 */
export const EMBEDDED_SEARCH_MAX_BYTES = 16 * 1024 * 1024;

/** `embedded`: no REDIS_URL, so the KV is the embedded one (a smaller default bound). */
export function readSearchStoreConfig(r: EnvReader, o: { embedded: boolean }): SearchStoreConfig {
  const d = DEFAULT_SEARCH_STORE;
  return Object.freeze({
    enabled: r.bool('SEARCH_INDEX', d.enabled),
    retentionMs: r.duration('SEARCH_RETENTION', d.retentionMs),
    maxBytes: r.int('SEARCH_MAX_BYTES', o.embedded ? EMBEDDED_SEARCH_MAX_BYTES : d.maxBytes, 64 * 1024),
    maxChunks: r.int('SEARCH_MAX_CHUNKS', d.maxChunks, 1, 1_000_000),
  });
}

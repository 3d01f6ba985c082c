// A text search over the kept events: the index read once, chunks the meta rules in read a few at a
// time newest first, stopping at `limit` hits or at the scan budget (then the cursor goes on from there).
import type { KV } from '../../core/kv/types.js';
import {
  type Cursor,
  chunkMayMatch,
  encodeCursor,
  type Hit,
  needleOf,
  type SearchQuery,
  scanChunk,
} from '../../core/search/query.js';
import { type ChunkRef, readBlobs, readIndex } from '../../core/search/store.js';

export interface SearchResult {
  hits: Hit[];
  /** Where to go on (more hits may follow); null when every kept chunk was searched. */
  nextCursor: string | null;
  scanned: { chunks: number; bytes: number };
}

/** Blobs fetched per round trip: 8 x 256 K chars keeps a read short and the early stop early. */
const READ_BATCH = 8;

/** Chunks left to search from a cursor on (the cursor's chunk first, from its line on), newest first. */
export function startAt(index: ChunkRef[], cursor: Cursor | undefined): { from: number; before: number } {
  if (!cursor) return { from: 0, before: Number.POSITIVE_INFINITY };
  const i = index.findIndex((c) => c.id === cursor.c);
  // o = 0: that chunk is done (the scan budget ran out after it).
  if (i >= 0)
    return cursor.o === 0 ? { from: i + 1, before: Number.POSITIVE_INFINITY } : { from: i, before: cursor.o };
  // Dropped since: go on with the chunks written before it.
  const j = index.findIndex((c) => c.meta.w < cursor.w);
  return { from: j < 0 ? index.length : j, before: Number.POSITIVE_INFINITY };
}

export async function runSearch(
  kv: KV,
  q: SearchQuery,
  o: { cursor?: Cursor; now: number; retentionMs: number; maxScanBytes: number },
): Promise<SearchResult> {
  const index = await readIndex(kv, { now: o.now, retentionMs: o.retentionMs });
  const start = startAt(index, o.cursor);
  const todo = index.slice(start.from).filter((c) => chunkMayMatch(c.meta, q));
  const needle = q.q ? needleOf(q.q) : undefined;
  const hits: Hit[] = [];
  let last: Cursor | undefined;
  let bytes = 0;
  let chunks = 0;
  const result = (next: Cursor | undefined): SearchResult => ({
    hits,
    nextCursor: next ? encodeCursor(next) : null,
    scanned: { chunks, bytes },
  });
  for (let i = 0; i < todo.length; i += READ_BATCH) {
    const part = todo.slice(i, i + READ_BATCH);
    const blobs = await readBlobs(
      kv,
      part.map((c) => c.id),
    );
    for (let k = 0; k < part.length; k++) {
      const c = part[k];
      const blob = blobs[k];
      const before = c.id === o.cursor?.c ? start.before : Number.POSITIVE_INFINITY;
      chunks++;
      if (blob === null) continue;
      bytes += blob.length;
      // One more than asked: a hit past the limit says there is more, and the cursor goes on from the last.
      for (const f of scanChunk(blob, c.meta, q, { needle, before, max: q.limit - hits.length + 1 })) {
        if (hits.length === q.limit) return result(last);
        hits.push(f.hit);
        last = { c: c.id, w: c.meta.w, o: f.start };
      }
      if (i + k + 1 < todo.length && bytes >= o.maxScanBytes) return result({ c: c.id, w: c.meta.w, o: 0 });
    }
  }
  return { hits, nextCursor: null, scanned: { chunks, bytes } };
}

// The search store in the KV: one ring (core/kv ringPush) of chunks, bounded by age, bytes and count.
// searchWrites builds a batch's writes (applied in detect-anomaly's one atomic apply, so a redelivered
// batch is kept once); readIndex and readBlobs are the reader's two round trips.
import type { LogEvent } from '../event.js';
import type { KV, WriteOp } from '../kv/types.js';
import { parseRingEntry, ringBlobKey } from '../kv/write-ops.js';
import { ChunkBuilder, type ChunkMeta, LINE_OVERHEAD_BYTES, MAX_KEPT_CHARS, parseMeta } from './chunk.js';
import type { SearchStoreConfig } from './config.js';

// The ring's key carries a hash tag: its blobs and byte total (ringBlobKey, ringBytesKey) share its cluster slot.
export const SEARCH_KEYS = { ring: 'search:{ring}' } as const;

/** Characters per chunk blob at most: a hit reads one blob, so this bounds a hit's read. */
export const CHUNK_CHARS = 256 * 1024;

export interface ChunkRef {
  id: string;
  meta: ChunkMeta;
}

/**
 * Raw lines as bytes in a body they arrived in: `at[i]` is where event i's raw line starts, its bytes
 * being its text as ASCII with nothing escapeLine would change (one byte a character), or -1.
 */
export interface RawBytes {
  body: Uint8Array;
  at: readonly number[];
}

let seq = 0;
const replica = Math.floor(Math.random() * 36 ** 6).toString(36);

/**
 * The ring writes that keep a batch's events: one chunk per source (more past CHUNK_CHARS). `times`: each
 * event's time (epoch ms), as detect-anomaly parsed it.
 */
export function searchWrites(
  events: readonly LogEvent[],
  times: readonly number[],
  o: { now: number; config: SearchStoreConfig; rawBytes?: RawBytes },
): WriteOp[] {
  if (!o.config.enabled || events.length === 0) return [];
  const open = new Map<string, ChunkBuilder>();
  const done: ChunkBuilder[] = [];
  // Each source's chunk sized from its raw texts' lengths (one byte a character: most logs are ASCII).
  // A batch is mostly runs of one source: each run is summed before the map is touched.
  const bytes = new Map<string, number>();
  let run: string | undefined;
  let sum = 0;
  for (const e of events) {
    if (e.source !== run) {
      if (run !== undefined) bytes.set(run, (bytes.get(run) ?? 0) + sum);
      run = e.source;
      sum = 0;
    }
    sum += Math.min((e.raw || e.message).length, MAX_KEPT_CHARS) + LINE_OVERHEAD_BYTES;
  }
  if (run !== undefined) bytes.set(run, (bytes.get(run) ?? 0) + sum);
  let chunk: ChunkBuilder | undefined;
  const body = o.rawBytes?.body;
  const at = o.rawBytes?.at;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (chunk?.source !== e.source) chunk = open.get(e.source);
    if (!chunk) {
      chunk = new ChunkBuilder(e.source, bytes.get(e.source));
      open.set(e.source, chunk);
    }
    const from = at && e.raw ? at[i] : -1;
    if (from >= 0 && e.raw.length <= MAX_KEPT_CHARS)
      chunk.addAscii(times[i], e.level, e.templateId, body!, from, e.raw.length);
    else chunk.add(times[i], e.level, e.templateId, e.raw || e.message);
    if (chunk.size >= CHUNK_CHARS) {
      done.push(chunk);
      open.delete(e.source);
      bytes.set(e.source, (bytes.get(e.source) ?? 0) - chunk.size);
      chunk = undefined;
    }
  }
  done.push(...open.values());
  const ops: WriteOp[] = [];
  for (const c of done) {
    const { blob, meta } = c.build(o.now);
    ops.push({
      op: 'ringPush',
      key: SEARCH_KEYS.ring,
      id: `${o.now.toString(36)}-${replica}-${((seq = (seq + 1) % 1e9)).toString(36)}`,
      blob,
      meta: JSON.stringify(meta),
      maxBytes: o.config.maxBytes,
      maxItems: o.config.maxChunks,
      ttlMs: o.config.retentionMs,
    });
  }
  return ops;
}

/** The chunks still within retention, newest written first. */
export async function readIndex(kv: KV, o: { now: number; retentionMs: number }): Promise<ChunkRef[]> {
  const out: ChunkRef[] = [];
  const oldest = o.now - o.retentionMs;
  for (const text of await kv.lrange(SEARCH_KEYS.ring, 0, -1)) {
    const e = parseRingEntry(text);
    const meta = e && parseMeta(e.meta);
    if (e && meta && meta.w >= oldest) out.push({ id: e.id, meta });
  }
  return out;
}

/** The blobs of some chunks, in order; null for one dropped since the index was read. */
export function readBlobs(kv: KV, ids: readonly string[]): Promise<(string | null)[]> {
  return ids.length ? kv.mget(ids.map((id) => ringBlobKey(SEARCH_KEYS.ring, id))) : Promise.resolve([]);
}

// KV I/O of the per-source counters: one read per batch (hgetallMany over registry, meta, norms and
// windows of every source in it) and the writes that go into the batch's single atomic apply.
import type { KV, WriteOp } from '../../core/kv/types.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import type { DetectConfig } from './config.js';
import type { SourceResult } from './detect.js';
import { DIMS, type SourceCounters, type WindowCount } from './features.js';
import { rng } from './forest.js';

export interface SourceState {
  counters: SourceCounters;
  meta: Record<string, string>;
}

export interface BatchState {
  /** source -> first-seen ms, for the cap on sources. */
  registry: Record<string, string>;
  states: Map<string, SourceState>;
}

/** Windows a source needs: the batch's buckets and the history before them (bounded to 60 + history). */
function windowRange(buckets: number[], history: number): [number, number] {
  const max = Math.max(...buckets);
  const min = Math.max(Math.min(...buckets), max - 60);
  return [min - history, max];
}

/** One round trip for every source of the batch. */
export async function readBatchState(
  kv: KV,
  buckets: Map<string, number[]>,
  cfg: DetectConfig,
): Promise<BatchState> {
  const keys: string[] = [MODEL_KEYS.sources];
  const layout: { source: string; from: number; to: number; at: number }[] = [];
  for (const [source, bs] of buckets) {
    const [from, to] = windowRange(bs, cfg.windowHistory);
    layout.push({ source, from, to, at: keys.length });
    keys.push(MODEL_KEYS.meta(source), MODEL_KEYS.norms(source));
    for (let b = from; b <= to; b++) keys.push(MODEL_KEYS.window(source, b));
  }
  const hashes = await kv.hgetallMany(keys);
  const states = new Map<string, SourceState>();
  for (const { source, from, to, at } of layout) {
    const stats = new Map<string, number>();
    for (const [f, v] of Object.entries(hashes[at + 1] ?? {})) {
      const n = Number(v);
      if (Number.isFinite(n)) stats.set(f, n);
    }
    const windows = new Map<number, WindowCount>();
    for (let b = from; b <= to; b++) {
      const h = hashes[at + 2 + (b - from)] ?? {};
      if (h.n) windows.set(b, { n: Number(h.n) || 0, err: Number(h.err) || 0 });
    }
    states.set(source, { counters: { stats, windows }, meta: hashes[at] ?? {} });
  }
  return { registry: hashes[0] ?? {}, states };
}

const FLOAT_FIELD = /^(ls|lq|ml|pl):/;

/** Counter, window, reservoir and meta writes of one source's batch. */
export function sourceWrites(
  source: string,
  r: SourceResult,
  cfg: DetectConfig,
  opts: { now: number; scored: boolean; newSource: boolean },
): WriteOp[] {
  const ops: WriteOp[] = [];
  const norms = MODEL_KEYS.norms(source);
  for (const [field, by] of r.deltas.stats) {
    if (FLOAT_FIELD.test(field)) {
      const x = Math.round(by * 1e4) / 1e4;
      if (x !== 0) ops.push({ op: 'hincrbyfloat', key: norms, field, by: x });
    } else ops.push({ op: 'hincrby', key: norms, field, by });
  }
  for (const [field, at] of r.deltas.firsts ?? [])
    ops.push({ op: 'hsetnx', key: norms, field, value: String(at) });
  // Windows live history + 2 windows, so the read side always finds the history it asks for.
  const ttlMs = cfg.windowMs * (cfg.windowHistory + 2);
  for (const [b, w] of r.deltas.windows) {
    const key = MODEL_KEYS.window(source, b);
    ops.push({ op: 'hincrby', key, field: 'n', by: w.n });
    if (w.err) ops.push({ op: 'hincrby', key, field: 'err', by: w.err });
    ops.push({ op: 'expire', key, ttlMs });
  }
  const sample = sampleRows(r.vectors, cfg.reservoirPerBatch, cfg.seed ^ (r.keys.length * 2654435761));
  const meta = MODEL_KEYS.meta(source);
  if (sample.length) {
    ops.push({ op: 'lpush', key: MODEL_KEYS.reservoir(source), values: sample, cap: cfg.reservoirCap });
    ops.push({ op: 'hincrby', key: meta, field: 'collected', by: sample.length });
    ops.push({ op: 'hincrby', key: meta, field: 'sinceTrain', by: sample.length });
  }
  if (opts.scored) {
    ops.push({ op: 'hincrby', key: meta, field: 'scored', by: r.keys.length });
    ops.push({ op: 'hincrby', key: meta, field: 'flagged', by: r.modelFlagged });
  }
  if (opts.newSource)
    ops.push({ op: 'hsetnx', key: MODEL_KEYS.sources, field: source, value: String(opts.now) });
  return ops;
}

/** Up to `max` rows chosen uniformly (seeded), each encoded as comma-separated numbers. */
export function sampleRows(vectors: Float64Array, max: number, seed: number): string[] {
  const n = vectors.length / DIMS;
  const idx = Array.from({ length: n }, (_, i) => i);
  if (n > max) {
    const r = rng(seed);
    for (let i = 0; i < max; i++) {
      const j = i + Math.floor(r() * (n - i));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    idx.length = max;
  }
  return idx.map((i) => encodeRow(vectors, i * DIMS));
}

export function encodeRow(v: ArrayLike<number>, off: number): string {
  const parts: string[] = [];
  for (let f = 0; f < DIMS; f++) parts.push(String(Math.round(v[off + f] * 1e4) / 1e4));
  return parts.join(',');
}

/** Rows with the current dimensionality and finite numbers; others (older layouts, garbage) are skipped. */
export function decodeRows(rows: string[]): Float64Array {
  const out: number[] = [];
  for (const row of rows) {
    const parts = row.split(',');
    if (parts.length !== DIMS) continue;
    const nums = parts.map(Number);
    if (nums.every(Number.isFinite)) out.push(...nums);
  }
  return Float64Array.from(out);
}

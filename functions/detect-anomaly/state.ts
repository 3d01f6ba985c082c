// KV I/O of the per-source counters: one read per batch (hgetallMany over registry, meta, norms and
// windows of every source in it) and the writes that go into the batch's single atomic apply.
import {
  DROPPED_FIELD,
  INCIDENT_CAPS,
  INCIDENT_KEYS,
  type Incident,
  parseIncident,
} from '../../core/incident.js';
import type { KV, WriteOp } from '../../core/kv/types.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import type { DetectConfig } from './config.js';
import type { SourceCounters, WindowCount } from './counters.js';
import type { SourceResult } from './detect.js';
import { DIMS } from './features.js';
import { rng } from './forest.js';
import {
  NORMS_EPOCH_FIELD,
  NORMS_VERSION_FIELD,
  type Norms,
  type NormsCache,
  type NormsStamp,
  stampOf,
} from './norms-cache.js';
import { normsSetFields, putNormsField } from './norms-fields.js';

export interface SourceState {
  counters: SourceCounters;
  meta: Record<string, string>;
  /** Open incidents by group key (INCIDENT_KEYS.open), and how many the cap dropped so far. */
  incidents: Map<string, Incident>;
  droppedIncidents: number;
  /** Which norms the counters hold (their meta stamp), and whether a copy of them may be kept. */
  normsRead?: { stamp: NormsStamp; cacheable: boolean };
}

export interface BatchState {
  /** source -> first-seen ms, for the cap on sources. */
  registry: Record<string, string>;
  /** Templates+endpoints tracked over all sources (the sum of MODEL_KEYS.tracked), for its cap. */
  trackedTotal: number;
  /** MODEL_KEYS.tracked as read: source -> its count. */
  tracked: Record<string, string>;
  states: Map<string, SourceState>;
}

/** Windows a source needs: the batch's buckets and the history before them (bounded to 60 + history). */
function windowRange(buckets: number[], history: number): [number, number] {
  const max = Math.max(...buckets);
  const min = Math.max(Math.min(...buckets), max - 60);
  return [min - history, max];
}

/**
 * One round trip for every source of the batch. With `norms`, a source's norms hash is left out of it
 * when the replica holds a copy, and read in a second round trip (with its meta) only when the meta
 * read says the copy is no longer current; a source another replica writes too is read in the first
 * (norms-cache.ts).
 */
export async function readBatchState(
  kv: KV,
  buckets: Map<string, number[]>,
  cfg: DetectConfig,
  norms?: NormsCache,
  /** Other batches of this replica are in flight (see below). */
  othersInFlight = false,
): Promise<BatchState> {
  const keys: string[] = [MODEL_KEYS.sources, MODEL_KEYS.tracked];
  const layout: { source: string; from: number; to: number; at: number; withNorms: boolean }[] = [];
  for (const [source, bs] of buckets) {
    const [from, to] = windowRange(bs, cfg.windowHistory);
    const withNorms = norms ? norms.wants(source) : true;
    layout.push({ source, from, to, at: keys.length, withNorms });
    keys.push(MODEL_KEYS.meta(source), INCIDENT_KEYS.open(source));
    if (withNorms) keys.push(MODEL_KEYS.norms(source));
    for (let b = from; b <= to; b++) keys.push(MODEL_KEYS.window(source, b));
  }
  const readSeq = norms?.sent ?? 0;
  const hashes = await kv.hgetallMany(keys);
  // An apply of this replica's sent before this read has its reply in before this one, but its commit
  // (NormsCache.commit) may sit behind this continuation in the microtask queue: one turn of the event
  // loop lets it land first (NormsCache.lookup).
  if (norms && othersInFlight) await new Promise<void>((resolve) => setImmediate(resolve));
  const states = new Map<string, SourceState>();
  const stale: [string, SourceState][] = [];
  for (const { source, from, to, at, withNorms } of layout) {
    const meta = hashes[at] ?? {};
    const first = at + (withNorms ? 3 : 2);
    const windows = new Map<number, WindowCount>();
    for (let b = from; b <= to; b++) {
      const h = hashes[first + (b - from)] ?? {};
      if (h.n) windows.set(b, { n: Number(h.n) || 0, err: Number(h.err) || 0 });
    }
    const incidents = new Map<string, Incident>();
    const open = hashes[at + 1] ?? {};
    for (const [g, v] of Object.entries(open)) {
      const inc = g === DROPPED_FIELD ? null : parseIncident(v);
      if (inc) incidents.set(g, inc);
    }
    if (withNorms) norms?.observe(source, meta, readSeq);
    const cached = withNorms ? undefined : norms?.lookup(source, meta, readSeq);
    const parsed = withNorms ? parseNorms(hashes[at + 2] ?? {}) : undefined;
    const st: SourceState = {
      counters: {
        stats: parsed?.stats ?? cached?.stats ?? new Map(),
        windows,
        packed: parsed?.packed ?? cached?.packed ?? new Map(),
      },
      meta,
      incidents,
      droppedIncidents: Number(open[DROPPED_FIELD]) || 0,
      normsRead: { stamp: stampOf(meta), cacheable: parsed ? parsed.exact : true },
    };
    states.set(source, st);
    if (!parsed && !cached) stale.push([source, st]);
  }
  if (stale.length) {
    // The norms and the meta that stamps them, read together (one atomic read).
    const again = await kv.hgetallMany(
      stale.flatMap(([source]) => [MODEL_KEYS.meta(source), MODEL_KEYS.norms(source)]),
    );
    stale.forEach(([, st], j) => {
      const meta = again[2 * j] ?? {};
      const parsed = parseNorms(again[2 * j + 1] ?? {});
      st.meta = meta;
      st.counters.stats = parsed.stats;
      st.counters.packed = parsed.packed;
      st.normsRead = { stamp: stampOf(meta), cacheable: parsed.exact };
    });
  }
  let trackedTotal = 0;
  for (const v of Object.values(hashes[1] ?? {})) trackedTotal += Number(v) || 0;
  return { registry: hashes[0] ?? {}, trackedTotal, tracked: hashes[1] ?? {}, states };
}

/** A norms hash as read, and whether every field parsed (putNormsField). */
function parseNorms(h: Record<string, string>): Norms & { exact: boolean } {
  const n: Norms = { stats: new Map(), packed: new Map() };
  let exact = true;
  for (const [f, v] of Object.entries(h)) if (!putNormsField(n, f, v)) exact = false;
  return { ...n, exact };
}

/** Counter, window, reservoir and meta writes of one source's batch. */
export function sourceWrites(
  source: string,
  r: SourceResult,
  cfg: DetectConfig,
  opts: {
    now: number;
    scored: boolean;
    newSource: boolean;
    /** Rows that go into the reservoir (reservoirPicks). */
    picks: number[];
    /** Windows that already exist in the store (read with the batch state). */
    existingWindows?: ReadonlyMap<number, unknown>;
    /** The replica's epoch token (NormsCache.epoch), set on the meta if it has none. */
    normsEpoch?: string;
  },
): WriteOp[] {
  const ops: WriteOp[] = [];
  const norms = MODEL_KEYS.norms(source);
  // Counts are exact increments; means go in one HSET (see SourceCounters).
  for (const [field, by] of r.deltas.stats) ops.push({ op: 'hincrby', key: norms, field, by });
  if (r.deltas.sets?.size || r.deltas.packed?.size) {
    const fields: Record<string, string> = {};
    if (r.deltas.sets) normsSetFields(r.deltas.sets, fields);
    for (const [field, v] of r.deltas.packed ?? []) fields[field] = v;
    ops.push({ op: 'hset', key: norms, fields });
  }
  for (const [field, at] of r.deltas.firsts ?? [])
    ops.push({ op: 'hsetnx', key: norms, field, value: String(at) });
  // Windows live history + 2 windows, so the read side always finds the history it asks for.
  const ttlMs = cfg.windowMs * (cfg.windowHistory + 2);
  for (const [b, w] of r.deltas.windows) {
    const key = MODEL_KEYS.window(source, b);
    ops.push({ op: 'hincrby', key, field: 'n', by: w.n });
    if (w.err) ops.push({ op: 'hincrby', key, field: 'err', by: w.err });
    // A window read back non-empty got its TTL in the same apply that created it.
    if (!opts.existingWindows?.has(b)) ops.push({ op: 'expire', key, ttlMs });
  }
  const meta = MODEL_KEYS.meta(source);
  if (opts.picks.length) {
    const values = opts.picks.map((i) => encodeRow(r.vectors, i * DIMS));
    ops.push({ op: 'lpush', key: MODEL_KEYS.reservoir(source), values, cap: cfg.reservoirCap });
    ops.push({ op: 'hincrby', key: meta, field: 'collected', by: values.length });
  }
  ops.push({ op: 'hincrby', key: meta, field: 'sinceTrain', by: r.keys.length });
  // Stamps the norms this apply leaves (norms-cache.ts): one more write, and the epoch if there is none.
  ops.push({ op: 'hincrby', key: meta, field: NORMS_VERSION_FIELD, by: 1 });
  if (opts.normsEpoch)
    ops.push({ op: 'hsetnx', key: meta, field: NORMS_EPOCH_FIELD, value: opts.normsEpoch });
  if (opts.scored) {
    ops.push({ op: 'hincrby', key: meta, field: 'scored', by: r.keys.length });
    ops.push({ op: 'hincrby', key: meta, field: 'flagged', by: r.modelFlagged });
  }
  if (opts.newSource)
    ops.push({ op: 'hsetnx', key: MODEL_KEYS.sources, field: source, value: String(opts.now) });
  return ops;
}

/**
 * The writes of a source's incident update: the open hash rewritten whole (one atomic apply with the
 * batch, so a reader never sees half of it) and closed incidents pushed to the capped closed list.
 */
export function incidentWrites(
  source: string,
  open: ReadonlyMap<string, Incident>,
  closed: Incident[],
  dropped: number,
): WriteOp[] {
  const key = INCIDENT_KEYS.open(source);
  const ops: WriteOp[] = [{ op: 'del', key }];
  const fields: Record<string, string> = {};
  for (const [g, inc] of open) fields[g] = JSON.stringify(inc);
  if (dropped) fields[DROPPED_FIELD] = String(dropped);
  if (Object.keys(fields).length) ops.push({ op: 'hset', key, fields });
  for (const inc of closed)
    ops.push({
      op: 'lpush',
      key: INCIDENT_KEYS.closed,
      values: [JSON.stringify(inc)],
      cap: INCIDENT_CAPS.closed,
    });
  return ops;
}

/** Vectors per batch while a source collects its first MIN_TRAINING (the former per-batch default). */
const WARMUP_PER_BATCH = 256;

/**
 * Rows of a batch of `n` that go into the reservoir (seeded, ascending). Warm-up (fewer than
 * minTraining collected): up to 256 chosen uniformly, so the first model comes after a few batches.
 * After it: each row with probability reservoirRate (Bernoulli sampling), at most reservoirPerBatch, so
 * every event has the same chance whatever the batch size and the capped list (LPUSH + trim) is a uniform
 * sample of the recent stream. Warm-up vectors are over-represented until newer ones push them out.
 */
export function reservoirPicks(
  n: number,
  collected: number,
  cfg: Pick<DetectConfig, 'minTraining' | 'reservoirRate' | 'reservoirPerBatch'>,
  seed: number,
): number[] {
  const r = rng(seed);
  let picks: number[];
  let max: number;
  if (collected < cfg.minTraining) {
    max = Math.max(WARMUP_PER_BATCH, cfg.reservoirPerBatch);
    picks = Array.from({ length: n }, (_, i) => i);
  } else {
    max = cfg.reservoirPerBatch;
    picks = [];
    for (let i = 0; i < n; i++) if (r() < cfg.reservoirRate) picks.push(i);
  }
  if (picks.length > max) {
    // Partial Fisher-Yates: a uniform subset of `max`.
    for (let i = 0; i < max; i++) {
      const j = i + Math.floor(r() * (picks.length - i));
      const tmp = picks[i];
      picks[i] = picks[j];
      picks[j] = tmp;
    }
    picks.length = max;
    picks.sort((a, b) => a - b);
  }
  return picks;
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

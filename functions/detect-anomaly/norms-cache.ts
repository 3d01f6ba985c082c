// A replica's copy of each source's norms hash (MODEL_KEYS.norms), so a batch does not read the whole
// hash back when nothing but this replica's own batches wrote it since (a source's norms hold ~1,000
// fields; reading them was a fixed cost of every batch, large for small ones). The KV stays the truth:
// every apply that writes a source's norms also counts itself in the source's meta (`nv`) and sets an
// epoch token there if absent (`ne`, new after the keys were deleted), in the same atomic apply. An entry
// is used only while both read what this replica's own applies left (NormsCache.commit, current), so
// another replica's write, a deletion or a lost reply all mean a full read, as before.
import type { WriteOp } from '../../core/kv/types.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import { putNormsField } from './norms-fields.js';

/** Meta fields (MODEL_KEYS.meta) that say which norms an entry may stand for. */
export const NORMS_VERSION_FIELD = 'nv';
export const NORMS_EPOCH_FIELD = 'ne';

/** A source's norms as readBatchState parses them: numbers, and the count baselines' packed text. */
export interface Norms {
  stats: Map<string, number>;
  packed: Map<string, string>;
}

/** Which norms a batch read: the meta's version and epoch at that moment (absent: none yet). */
export interface NormsStamp {
  version: number;
  epoch: string | undefined;
}

interface Entry extends Norms {
  version: number;
  epoch: string;
  /** The version after each of the entry's last commits, with its apply's sequence number (oldest first). */
  trail: { seq: number; version: number }[];
}

/** Commits an entry remembers: more than the batches a replica has in flight at once. */
const TRAIL = 16;

/** Default bound on the fields held over all sources (~100 bytes each). */
export const NORMS_CACHE_MAX_FIELDS = 200_000;

export class NormsCache {
  private readonly entries = new Map<string, Entry>();
  private fields = 0;
  /** Written with hsetnx by this replica's applies: the epoch when a source's meta has none yet. */
  readonly epoch = randomToken();

  /**
   * Sources whose last copy turned out stale: another replica writes them too, so their next batch reads
   * the norms with the rest (one round trip, as without copies) rather than risk a second one.
   */
  private readonly shared = new Set<string>();

  /** This replica's applies sent so far (nextApply). */
  private seq = 0;

  constructor(private readonly maxFields = NORMS_CACHE_MAX_FIELDS) {}

  /** The sequence number of an apply about to be sent (commit takes it back). */
  nextApply(): number {
    return ++this.seq;
  }

  /** Applies sent so far: a read sent now runs after them and before any later one. */
  get sent(): number {
    return this.seq;
  }

  /** Whether the batch's first read should include the source's norms. */
  wants(source: string): boolean {
    return !this.entries.has(source) || this.shared.has(source);
  }

  /** Norms read anyway (see wants): whether the copy would have been current decides the next batch. */
  observe(source: string, meta: Record<string, string>, readSeq: number): void {
    const e = this.entries.get(source);
    if (e && current(e, meta, readSeq)) this.shared.delete(source);
  }

  /**
   * The cached norms if the source's meta, as read by a read sent after `readSeq` applies, stamps them;
   * else drops the entry. The copy may hold this replica's later applies as well, which is only closer
   * to the store.
   */
  lookup(source: string, meta: Record<string, string>, readSeq: number): Norms | undefined {
    const e = this.entries.get(source);
    if (!e) return undefined;
    if (!current(e, meta, readSeq)) {
      this.drop(source);
      this.shared.add(source);
      return undefined;
    }
    // Most recently used last, for the eviction below.
    this.entries.delete(source);
    this.entries.set(source, e);
    return e;
  }

  /**
   * After the batch's apply wrote `ops`: the norms as the store now holds them, stamped one apply past
   * what they were built on. This replica's applies reach the store in the order their replies come back
   * (one connection) and each commits on its reply, so a current entry holds the norms after this
   * replica's last apply: the writes are folded into it, even while other batches are in flight. Without
   * one, into the batch's own read (`base`, stamped `read`). Either way, any other apply that came
   * between (another replica's, or one of this replica's that failed) has moved the meta's version past
   * the stamp, so the next lookup reads the hash: a copy is never used with less in it than its stamp
   * says. Norms with a write this cannot mirror are not kept.
   */
  commit(source: string, base: Norms, read: NormsStamp, ops: readonly WriteOp[], seq: number): void {
    const epoch = read.epoch ?? this.epoch;
    const e = this.entries.get(source);
    const onEntry = e !== undefined && e.epoch === epoch && e.version >= read.version;
    this.drop(source);
    // Replies out of order (not on one connection): which apply came first is unknown.
    if (onEntry && (e.trail.at(-1)?.seq ?? 0) > seq) return;
    const onto = onEntry ? e : base;
    const version = onEntry ? e.version + 1 : read.version + 1;
    const trail = onEntry ? [...e.trail.slice(1 - TRAIL), { seq, version }] : [{ seq, version }];
    const key = MODEL_KEYS.norms(source);
    for (const op of ops) {
      if (op.key !== key) continue;
      if (!foldNormsWrite(onto, op)) return;
    }
    const next: Entry = { stats: onto.stats, packed: onto.packed, version, epoch, trail };
    this.entries.set(source, next);
    this.fields += next.stats.size + next.packed.size;
    for (const [s, old] of this.entries) {
      if (this.fields <= this.maxFields || old === next) break;
      this.drop(s);
    }
  }

  drop(source: string): void {
    const e = this.entries.get(source);
    if (!e) return;
    this.fields -= e.stats.size + e.packed.size;
    this.entries.delete(source);
  }
}

/**
 * Whether a read sent after `readSeq` of this replica's applies found the norms the entry was at then:
 * after its commits of those applies (each lands before the read, and commits before the read is looked
 * at: readBatchState), none of later ones. A version the entry does not remember is not current.
 */
function current(e: Entry, meta: Record<string, string>, readSeq: number): boolean {
  const s = stampOf(meta);
  if (s.epoch !== e.epoch) return false;
  for (let i = e.trail.length - 1; i >= 0; i--)
    if (e.trail[i].seq <= readSeq) return e.trail[i].version === s.version;
  return false;
}

export function stampOf(meta: Record<string, string>): NormsStamp {
  return { version: Number(meta[NORMS_VERSION_FIELD]) || 0, epoch: meta[NORMS_EPOCH_FIELD] };
}

/**
 * One norms write applied to the parsed copy exactly as a re-read would parse its result; false for a
 * write it cannot mirror (the copy is then not kept).
 */
function foldNormsWrite(n: Norms, op: WriteOp): boolean {
  switch (op.op) {
    case 'hincrby':
      if (n.packed.has(op.field)) return false;
      n.stats.set(op.field, (n.stats.get(op.field) ?? 0) + op.by);
      return true;
    case 'hset':
      for (const [f, v] of Object.entries(op.fields)) if (!putNormsField(n, f, v)) return false;
      return true;
    case 'hsetnx':
      return n.stats.has(op.field) || n.packed.has(op.field) || putNormsField(n, op.field, op.value);
    default:
      return false;
  }
}

function randomToken(): string {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// A replica's copy of each source's norms hash (MODEL_KEYS.norms), so a batch does not read the whole
// hash back when nothing but this replica's own batches wrote it since (a source's norms hold ~1,000
// fields; reading them was a fixed cost of every batch, large for small ones). The KV stays the truth:
// every apply that writes a source's norms also counts itself in the source's meta (`nv`) and sets an
// epoch token there if absent (`ne`, new after the keys were deleted), in the same atomic apply. An entry
// is used only while both still read what this replica's last apply left, so another replica's write, a
// deletion or a lost reply all mean a full read, as before.
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
}

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

  constructor(private readonly maxFields = NORMS_CACHE_MAX_FIELDS) {}

  /** Whether the batch's first read should include the source's norms. */
  wants(source: string): boolean {
    return !this.entries.has(source) || this.shared.has(source);
  }

  /** Norms read anyway (see wants): whether the copy would have been current decides the next batch. */
  observe(source: string, meta: Record<string, string>): void {
    const e = this.entries.get(source);
    if (e && current(e, meta)) this.shared.delete(source);
  }

  /** The cached norms if the source's meta (as just read) still stamps them; else drops the entry. */
  lookup(source: string, meta: Record<string, string>): Norms | undefined {
    const e = this.entries.get(source);
    if (!e) return undefined;
    if (!current(e, meta)) {
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
   * After the batch's apply wrote `ops`: the norms it started from (`base`, stamped `read`) with those
   * writes folded in, as the store now holds them, provided no other write came between (then the
   * meta's version is exactly one past `read`). Norms with a write this cannot mirror are not kept.
   */
  commit(source: string, base: Norms, read: NormsStamp, ops: readonly WriteOp[]): void {
    this.drop(source);
    const key = MODEL_KEYS.norms(source);
    for (const op of ops) {
      if (op.key !== key) continue;
      if (!foldNormsWrite(base, op)) return;
    }
    const e: Entry = { ...base, version: read.version + 1, epoch: read.epoch ?? this.epoch };
    this.entries.set(source, e);
    this.fields += base.stats.size + base.packed.size;
    for (const [s, old] of this.entries) {
      if (this.fields <= this.maxFields || old === e) break;
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

function current(e: Entry, meta: Record<string, string>): boolean {
  const s = stampOf(meta);
  return s.epoch === e.epoch && s.version === e.version;
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

// The embedded store's data and semantics (no I/O): Redis-compatible strings, hashes and lists with TTLs.
// Kept apart from persistence (memory.ts) so the semantics are easy to read against the Redis Lua script.
import type { ApplyOptions, WriteOp } from './types.js';
import {
  DEFAULT_ONCE_TTL_MS,
  formatFloat,
  isRedisFloat,
  isRedisInteger,
  onceKeyName,
  parseRingEntry,
  ringBlobKey,
  ringBytesKey,
  ringEntry,
  validateOps,
} from './write-ops.js';

const UTF8 = new TextDecoder();

export type Entry =
  | { t: 'string'; v: string; exp?: number }
  | { t: 'hash'; v: Map<string, string>; exp?: number }
  | { t: 'list'; v: string[]; exp?: number };

/** Same messages as Redis, so callers and the contract suite can match either store's errors. */
export class KvCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KvCommandError';
  }
}
const wrongType = () =>
  new KvCommandError('WRONGTYPE Operation against a key holding the wrong kind of value');

export class MemoryStore {
  readonly data = new Map<string, Entry>();
  /** Bumped on every write; the snapshotter saves only when it moved. */
  version = 0;
  constructor(readonly now: () => number) {}

  /** The live entry, dropping it if expired (lazy expiry, as Redis does on access). */
  entry(key: string): Entry | undefined {
    const e = this.data.get(key);
    if (e?.exp !== undefined && e.exp <= this.now()) {
      this.data.delete(key);
      this.version++;
      return undefined;
    }
    return e;
  }

  typed<T extends Entry['t']>(key: string, t: T): Extract<Entry, { t: T }> | undefined {
    const e = this.entry(key);
    if (e && e.t !== t) throw wrongType();
    return e as Extract<Entry, { t: T }> | undefined;
  }

  /** Active expiry: drops every expired key (called by the snapshot timer, bounded by the key count). */
  sweep(): void {
    for (const key of this.data.keys()) this.entry(key);
  }

  setIfAbsent(key: string, value: string, ttlMs: number): boolean {
    if (this.entry(key)) return false;
    this.data.set(key, { t: 'string', v: value, exp: this.now() + ttlMs });
    this.version++;
    return true;
  }

  apply(ops: readonly WriteOp[], opts: ApplyOptions): boolean {
    validateOps(ops, opts);
    const once = opts.onceKey === undefined ? undefined : onceKeyName(opts.onceKey);
    if (once !== undefined && this.entry(once)) return false;
    // Undo log: each touched key's entry before the batch, restored if any op fails (all or nothing).
    const undo = new Map<string, Entry | undefined>();
    const save = (key: string) => {
      if (!undo.has(key)) undo.set(key, cloneEntry(this.entry(key)));
    };
    try {
      for (const op of ops) {
        save(op.key);
        if (op.op === 'ringPush') this.ringPush(op, save);
        else this.applyOne(op);
      }
    } catch (err) {
      for (const [key, e] of undo) e ? this.data.set(key, e) : this.data.delete(key);
      throw err;
    }
    if (once !== undefined) {
      this.data.set(once, { t: 'string', v: '1', exp: this.now() + (opts.onceTtlMs ?? DEFAULT_ONCE_TTL_MS) });
    }
    this.version++;
    return true;
  }

  private hash(key: string): Map<string, string> {
    const e = this.typed(key, 'hash');
    if (e) return e.v;
    const v = new Map<string, string>();
    this.data.set(key, { t: 'hash', v });
    return v;
  }

  /** See WriteOp 'ringPush'; `save` records a key's entry before it changes (the batch's undo log). */
  private ringPush(op: Extract<WriteOp, { op: 'ringPush' }>, save: (key: string) => void): void {
    const bytesKey = ringBytesKey(op.key);
    const list = this.typed(op.key, 'list');
    const total = this.typed(bytesKey, 'string');
    if (total && !isRedisInteger(total.v))
      throw new KvCommandError('ERR value is not an integer or out of range');
    save(bytesKey);
    const blobKey = ringBlobKey(op.key, op.id);
    save(blobKey);
    const exp = this.now() + op.ttlMs;
    const blob = typeof op.blob === 'string' ? op.blob : UTF8.decode(op.blob);
    this.data.set(blobKey, { t: 'string', v: blob, exp });
    const e = ringEntry(op);
    const items = list ? list.v : [];
    items.unshift(e.text);
    let sum = Number(total?.v ?? 0) + e.bytes;
    while (items.length > 1 && (sum > op.maxBytes || items.length > op.maxItems)) {
      const old = parseRingEntry(items.pop()!);
      if (!old) continue;
      const k = ringBlobKey(op.key, old.id);
      save(k);
      this.data.delete(k);
      sum -= old.bytes;
    }
    this.data.set(op.key, { t: 'list', v: items, exp });
    this.data.set(bytesKey, { t: 'string', v: String(sum), exp });
  }

  private applyOne(op: Exclude<WriteOp, { op: 'ringPush' }>): void {
    switch (op.op) {
      case 'hincrby': {
        const h = this.hash(op.key);
        const cur = h.get(op.field) ?? '0';
        if (!isRedisInteger(cur)) throw new KvCommandError('ERR hash value is not an integer');
        h.set(op.field, String(Number(cur) + op.by));
        return;
      }
      case 'hincrbyfloat': {
        const h = this.hash(op.key);
        const cur = h.get(op.field) ?? '0';
        if (!isRedisFloat(cur)) throw new KvCommandError('ERR hash value is not a float');
        h.set(op.field, formatFloat(Number(cur) + op.by));
        return;
      }
      case 'hincrbyCapped': {
        const h = this.hash(op.key);
        const f = cappedField(h, op);
        const cur = h.get(f) ?? '0';
        if (op.float) {
          if (!isRedisFloat(cur)) throw new KvCommandError('ERR hash value is not a float');
          h.set(f, formatFloat(Number(cur) + op.by));
        } else {
          if (!isRedisInteger(cur)) throw new KvCommandError('ERR hash value is not an integer');
          h.set(f, String(Number(cur) + op.by));
        }
        return;
      }
      case 'hsetCapped': {
        const h = this.hash(op.key);
        const f = cappedField(h, op);
        const v = f === op.field ? op.value : (op.otherValue ?? op.value);
        if (!op.nx || !h.has(f)) h.set(f, v);
        return;
      }
      case 'hset': {
        const entries = Object.entries(op.fields);
        if (entries.length === 0) return;
        const h = this.hash(op.key);
        for (const [f, v] of entries) h.set(f, String(v));
        return;
      }
      case 'hsetnx': {
        const h = this.hash(op.key);
        if (!h.has(op.field)) h.set(op.field, op.value);
        return;
      }
      case 'set':
        this.data.set(op.key, {
          t: 'string',
          v: op.value,
          ...(op.ttlMs !== undefined ? { exp: this.now() + op.ttlMs } : {}),
        });
        return;
      case 'lpush': {
        const e = this.typed(op.key, 'list');
        const head = [...op.values].reverse();
        const next = (e ? head.concat(e.v) : head).slice(0, op.cap);
        if (next.length === 0) this.data.delete(op.key);
        else if (e) e.v = next;
        else this.data.set(op.key, { t: 'list', v: next });
        return;
      }
      case 'expire': {
        const e = this.entry(op.key);
        if (e) e.exp = this.now() + op.ttlMs;
        return;
      }
      case 'del':
        this.data.delete(op.key);
        return;
    }
  }

  /** Rough bytes in use: UTF-16 strings plus a per-entry overhead (Map slots, objects). */
  estimateBytes(): number {
    let n = 0;
    for (const [k, e] of this.data) {
      n += 64 + k.length * 2;
      if (e.t === 'string') n += e.v.length * 2;
      else if (e.t === 'list') for (const v of e.v) n += 16 + v.length * 2;
      else for (const [f, v] of e.v) n += 32 + (f.length + v.length) * 2;
    }
    return n;
  }

  /** Plain JSON form for the snapshot file; expired entries are left out. */
  toJSON(): SnapshotV1 {
    this.sweep();
    const entries: SnapshotEntry[] = [];
    for (const [k, e] of this.data) {
      const v = e.t === 'hash' ? Object.fromEntries(e.v) : e.v;
      entries.push(e.exp === undefined ? [k, e.t, v] : [k, e.t, v, e.exp]);
    }
    return { format: 'logfaas-kv', version: 1, entries };
  }

  load(snap: SnapshotV1): void {
    if (snap?.format !== 'logfaas-kv' || snap.version !== 1 || !Array.isArray(snap.entries)) {
      throw new Error('not a logfaas-kv v1 snapshot');
    }
    const now = this.now();
    for (const [k, t, v, exp] of snap.entries) {
      if (exp !== undefined && exp <= now) continue;
      const base = exp === undefined ? {} : { exp };
      if (t === 'string') this.data.set(k, { t, v: v as string, ...base });
      else if (t === 'list') this.data.set(k, { t, v: v as string[], ...base });
      else this.data.set(k, { t: 'hash', v: new Map(Object.entries(v as Record<string, string>)), ...base });
    }
  }
}

type SnapshotEntry = [
  key: string,
  type: Entry['t'],
  value: string | string[] | Record<string, string>,
  exp?: number,
];
export interface SnapshotV1 {
  format: 'logfaas-kv';
  version: 1;
  entries: SnapshotEntry[];
}

/** The field a capped write lands on: its own if present or there is room, else the overflow field. */
function cappedField(h: Map<string, string>, op: { field: string; maxFields: number; otherField: string }) {
  return h.has(op.field) || h.size < op.maxFields ? op.field : op.otherField;
}

function cloneEntry(e: Entry | undefined): Entry | undefined {
  if (!e) return undefined;
  if (e.t === 'hash') return { ...e, v: new Map(e.v) };
  if (e.t === 'list') return { ...e, v: [...e.v] };
  return { ...e };
}

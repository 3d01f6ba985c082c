// The pure half of the Redis KV: a WriteOp batch as the arguments of APPLY_LUA (redis-scripts.ts), and
// the script replies decoded. No client, no I/O, so the single-node and the cluster KV share it.
import type { WriteOp } from './types.js';
import { ringEntry } from './write-ops.js';

/** HGETALL's flat [field, value, ...] reply as an object, exactly as ioredis's own hgetall makes it. */
export function pairs(flat: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let j = 0; j < flat.length; j += 2) {
    const f = flat[j];
    // A field named like an inherited property (`__proto__`, `constructor`) is defined, not assigned.
    if (f in o)
      Object.defineProperty(o, f, {
        value: flat[j + 1],
        configurable: true,
        enumerable: true,
        writable: true,
      });
    else o[f] = flat[j + 1];
  }
  return o;
}

/**
 * What a capped field adds to its group: its cap, its otherField and the value an overflowing set writes
 * there. The field's increment or value itself goes with the plain fields of its kind (ints, floats, nx,
 * sets), merged the same way; the script uses the cap only when the hash could reach it.
 */
interface CappedField {
  max: number;
  other: string;
  /** Sets only. */
  otherValue?: string;
}

interface Group {
  ints: Map<string, number>;
  floats: Map<string, number>;
  nx: Map<string, string>;
  sets: Map<string, string>;
  /** PEXPIRE after the writes (0: none); only expires that come after every write of the key qualify. */
  ttl: number;
  /** The one kind of op each field sees: 'i', 'f', 'n', 's', or for capped targets 'I', 'F', 'N', 'S'. */
  kinds: Map<string, string>;
  /** Capped fields, in the order of their first write. */
  caps: Map<string, CappedField>;
  /** Every otherField of a capped write. */
  others: Set<string>;
}

/**
 * Groups the ops of each hash key that only sees hincrby, hincrbyfloat, hsetnx and hset, each field with
 * one kind of op (and one hincrbyfloat at most), and expires only after its last write: applying such a
 * group as "read every field, write the results" is the same as applying its ops one by one. Duplicate
 * increments are summed (while the sum is a safe integer), a repeated hsetnx keeps the first value, a
 * repeated hset field the last. Capped writes join a group too, provided no plain op creates a field after
 * the first capped one (then the hash's length before each capped write is known from HLEN and the plain
 * fields) and each capped field has one cap and otherField, and at most one float increment or set (a
 * field's first write decides where all its writes go, since a group only grows the hash; the order of
 * float additions and of sets into a shared otherField would matter). Every other key stays op by op.
 */
function groupHashOps(ops: readonly WriteOp[]): Map<string, Group> {
  const groups = new Map<string, Group>();
  const excluded = new Set<string>();
  for (const op of ops) {
    if (excluded.has(op.key)) continue;
    if (!addToGroup(groups, op)) {
      groups.delete(op.key);
      excluded.add(op.key);
    }
  }
  return groups;
}

/** Adds op to its key's group; false when the key cannot be grouped. */
function addToGroup(groups: Map<string, Group>, op: WriteOp): boolean {
  let g = groups.get(op.key);
  if (op.op === 'expire') {
    if (!g) return false; // an expire before any write depends on whether the key exists yet
    g.ttl = op.ttlMs;
    return true;
  }
  if (op.op === 'set' || op.op === 'lpush' || op.op === 'del' || op.op === 'ringPush') return false;
  if (!g) {
    g = {
      ints: new Map(),
      floats: new Map(),
      nx: new Map(),
      sets: new Map(),
      ttl: 0,
      kinds: new Map(),
      caps: new Map(),
      others: new Set(),
    };
    groups.set(op.key, g);
  }
  if (g.ttl) return false; // a write after an expire
  const kinds = g.kinds;
  const capped = g.caps.size > 0;
  const claim = (field: string, kind: string) => {
    const had = kinds.get(field);
    // After a capped write, a plain op may not add a field: the script would not know where it fell.
    if (had === undefined && capped && kind === kind.toLowerCase()) return false;
    kinds.set(field, kind);
    return had === undefined || had === kind;
  };
  switch (op.op) {
    case 'hincrbyCapped':
    case 'hsetCapped': {
      const kind = op.op === 'hsetCapped' ? (op.nx ? 'N' : 'S') : op.float ? 'F' : 'I';
      if (!claim(op.field, kind) || !claim(op.otherField, kind)) return false;
      g.others.add(op.otherField);
      const had = g.caps.get(op.field);
      if (had && (had.max !== op.maxFields || had.other !== op.otherField)) return false;
      if (!had) {
        const cap: CappedField = { max: op.maxFields, other: op.otherField };
        if (op.op === 'hsetCapped') cap.otherValue = op.otherValue ?? op.value;
        g.caps.set(op.field, cap);
      }
      if (op.op === 'hincrbyCapped') {
        if (op.float) {
          if (had) return false;
          g.floats.set(op.field, op.by);
          return true;
        }
        const sum = (g.ints.get(op.field) ?? 0) + op.by;
        g.ints.set(op.field, sum);
        return Number.isSafeInteger(sum);
      }
      if (!op.nx) {
        if (had) return false;
        g.sets.set(op.field, op.value);
      } else if (!g.nx.has(op.field)) g.nx.set(op.field, op.value);
      return true;
    }
    case 'hincrby': {
      const sum = (g.ints.get(op.field) ?? 0) + op.by;
      if (!claim(op.field, 'i') || !Number.isSafeInteger(sum)) return false;
      g.ints.set(op.field, sum);
      return true;
    }
    case 'hincrbyfloat':
      if (!claim(op.field, 'f') || g.floats.has(op.field)) return false;
      g.floats.set(op.field, op.by);
      return true;
    case 'hsetnx':
      if (!claim(op.field, 'n')) return false;
      if (!g.nx.has(op.field)) g.nx.set(op.field, op.value);
      return true;
    case 'hset':
      for (const [f, v] of Object.entries(op.fields)) {
        if (!claim(f, 's')) return false;
        g.sets.set(f, String(v));
      }
      return true;
  }
}

/**
 * The script's arguments (see APPLY_LUA): grouped hash keys as flat strings, every other op as compact
 * JSON arrays `[name, keyIndex, ...args]` with numbers as strings, plus the KEYS they use.
 */
export function encodeOps(ops: readonly WriteOp[], k: (key: string) => string, once: string | undefined) {
  const keys: string[] = once ? [once] : [];
  const index = new Map<string, number>();
  const ki = (key: string) => {
    let i = index.get(key);
    if (i === undefined) {
      keys.push(k(key));
      i = keys.length; // Lua arrays are 1-based
      index.set(key, i);
    }
    return i;
  };
  const groups = groupHashOps(ops);
  const grouped: string[] = [];
  for (const [key, g] of groups) {
    grouped.push(
      String(ki(key)),
      String(g.ints.size),
      String(g.floats.size),
      String(g.nx.size),
      String(g.sets.size),
      String(g.ttl),
    );
    // An otherField is a capped field of the group or one of these.
    const others = [...g.others].filter((f) => !g.caps.has(f));
    let minCap = 0;
    for (const c of g.caps.values()) minCap = minCap ? Math.min(minCap, c.max) : c.max;
    grouped.push(String(others.length), String(minCap));
    // Positions (1-based) of the capped fields and otherFields: the fields, then the other otherFields.
    const pos = new Map<string, number>();
    let n = 0;
    for (const m of [g.ints, g.floats, g.nx, g.sets]) {
      for (const f of m.keys()) {
        grouped.push(f);
        if (g.caps.has(f)) pos.set(f, n + 1);
        n++;
      }
    }
    for (const m of [g.ints, g.floats, g.nx, g.sets]) for (const v of m.values()) grouped.push(String(v));
    for (const f of others) {
      grouped.push(f);
      pos.set(f, ++n);
    }
    grouped.push(g.caps.size ? encodeCaps(g.caps, pos) : '');
  }
  const groupArgs = packGroups(grouped);
  // Ring blobs (a batch's kept lines, most of the call's bytes) go as arguments of their own after the
  // groups, referred to by their ARGV index: inside the ops' JSON they were escaped here and decoded by
  // the script's cjson, both a pass over every byte.
  const blobs: (string | Uint8Array)[] = [];
  const encoded: unknown[][] = [];
  for (const op of ops) {
    if (groups.has(op.key)) continue;
    switch (op.op) {
      case 'hincrby':
      case 'hincrbyfloat':
        encoded.push([op.op, ki(op.key), op.field, String(op.by)]);
        break;
      case 'hset':
        encoded.push([op.op, ki(op.key), Object.entries(op.fields).flat()]);
        break;
      case 'hsetnx':
        encoded.push([op.op, ki(op.key), op.field, op.value]);
        break;
      case 'hincrbyCapped':
        encoded.push([
          op.op,
          ki(op.key),
          op.field,
          String(op.by),
          op.float ? '1' : '0',
          op.maxFields,
          op.otherField,
          String(op.by),
        ]);
        break;
      case 'hsetCapped':
        encoded.push([
          op.op,
          ki(op.key),
          op.field,
          op.value,
          op.nx ? '1' : '0',
          op.maxFields,
          op.otherField,
          op.otherValue ?? op.value,
        ]);
        break;
      case 'set':
        encoded.push([op.op, ki(op.key), op.value, op.ttlMs ?? 0]);
        break;
      case 'lpush':
        encoded.push([op.op, ki(op.key), op.values, op.cap]);
        break;
      case 'expire':
        encoded.push([op.op, ki(op.key), op.ttlMs]);
        break;
      case 'ringPush':
        encoded.push([
          op.op,
          ki(op.key),
          op.id,
          3 + groupArgs.length + blobs.push(op.blob),
          ringEntry(op).text,
          op.maxBytes,
          op.maxItems,
          op.ttlMs,
        ]);
        break;
      default:
        encoded.push([op.op, ki(op.key)]); // del
    }
  }
  return { keys, args: [JSON.stringify(encoded), ...groupArgs, ...blobs] };
}

/**
 * The groups' strings as one JSON argument (the script decodes it with cjson): a detect-anomaly batch has
 * ~1,500 of them, and ioredis's cost per argument (a byte length, a concatenation, the flattening of the
 * result when written) was most of apply's time on the client (measured ~1 us of ~2.3 us per pipeline
 * line). Flat as before when the JSON holds an escaped lone surrogate, which cjson would not turn into the
 * bytes the flat form sends (Node writes U+FFFD); the test is a cheap superset (an escaped backslash
 * before `ud8`.. also matches), which only costs the flat form.
 */
function packGroups(grouped: string[]): string[] {
  if (grouped.length === 0) return grouped;
  const json = JSON.stringify(grouped);
  return LONE_SURROGATE_ESCAPE.test(json) ? grouped : [json];
}

const LONE_SURROGATE_ESCAPE = /\\ud[89a-f]/i;

/**
 * The capped fields of a group as compact JSON, in first-write order: `[position, otherField's position]`,
 * then maxFields when it differs from the previous entry's (always in the first), then for sets the
 * otherValue (with maxFields before it). Sent with every group, read only near the cap, so kept short.
 */
function encodeCaps(caps: Map<string, CappedField>, pos: Map<string, number>): string {
  const parts: string[] = [];
  let max = 0;
  for (const [f, c] of caps) {
    let e = `${pos.get(f)},${pos.get(c.other)}`;
    const set = c.otherValue !== undefined;
    if (c.max !== max || set) e += `,${c.max}`;
    if (set) e += `,${JSON.stringify(c.otherValue)}`;
    max = c.max;
    parts.push(`[${e}]`);
  }
  return `[${parts.join(',')}]`;
}

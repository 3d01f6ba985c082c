// The Redis KV (ioredis): every key under one namespace prefix, batch writes as one atomic Lua call.
// Outage policy: fail fast. Commands issued while disconnected reject at once (no offline queue) and
// commands in flight when the connection drops reject (never silently resent: a resent hincrby without
// onceKey would count twice). The client itself reconnects forever with capped backoff.
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { redactUrl, type Secret } from '../secrets.js';
import { APPLY_LUA, DEL_IF_EQUALS_LUA, HGETALL_MANY_LUA } from './redis-scripts.js';
import type { KV, StorageInfo, WriteOp } from './types.js';
import { DEFAULT_ONCE_TTL_MS, onceKeyName, ringEntry, validateOps } from './write-ops.js';

export interface RedisKvOptions {
  url: string;
  /** Overrides a password in the URL. */
  password?: Secret;
  /** Namespace of every key, e.g. `logfaas:`; stacks and test runs sharing one Redis use different ones. */
  prefix: string;
  logger: Logger;
  /** How long createRedisKv waits for the first connection before failing (default 30 s). */
  startupTimeoutMs?: number;
  /** A reply slower than this rejects the command (default 10 s): a hung server must not hang callers. */
  commandTimeoutMs?: number;
  /** CLIENT SETNAME, so an operator (or a test) can find this connection. */
  connectionName?: string;
}

/** Reconnect delay: 100 ms doubling to a 5 s cap, plus jitter so restarted fleets do not stampede. */
export const redisRetryDelay = (attempt: number): number =>
  Math.min(100 * 2 ** Math.min(attempt - 1, 10), 5_000) + Math.floor(Math.random() * 100);

interface ScriptedRedis extends Redis {
  logfaasApply(numKeys: number, ...args: (string | string[])[]): Promise<number>;
  logfaasDelIfEquals(key: string, value: string): Promise<number>;
  logfaasHgetallMany(numKeys: number, keys: string[]): Promise<string>;
}

/** Connects (waiting up to startupTimeoutMs for Redis to come up) and returns the namespaced KV. */
export async function createRedisKv(opts: RedisKvOptions): Promise<KV> {
  const { prefix, logger } = opts;
  const safeUrl = redactUrl(opts.url);
  const url = new URL(opts.url);
  if (opts.password) url.password = '';
  const redis = new Redis(url.toString(), {
    ...(opts.password ? { password: opts.password.reveal() } : {}),
    connectionName: opts.connectionName ?? 'logfaas',
    retryStrategy: redisRetryDelay,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: opts.commandTimeoutMs ?? 10_000,
  }) as ScriptedRedis;
  redis.defineCommand('logfaasApply', { lua: APPLY_LUA });
  redis.defineCommand('logfaasDelIfEquals', { lua: DEL_IF_EQUALS_LUA, numberOfKeys: 1 });
  redis.defineCommand('logfaasHgetallMany', { lua: HGETALL_MANY_LUA });
  watchConnection(redis, logger, safeUrl);
  await waitReady(redis, opts.startupTimeoutMs ?? 30_000, safeUrl);

  const k = (key: string) => prefix + key;
  return {
    get: (key) => redis.get(k(key)),
    async mget(keys) {
      return keys.length === 0 ? [] : redis.mget(keys.map(k));
    },
    hgetall: (key) => redis.hgetall(k(key)),
    async hmget(key, fields) {
      return fields.length === 0 ? [] : redis.hmget(k(key), ...fields);
    },
    async hgetallMany(keys) {
      if (keys.length === 0) return [];
      // One script call rather than a pipeline of HGETALLs: detect-anomaly reads ~90 hashes per batch, and
      // ioredis's per-command and per-reply-string costs were most of that read (measured: ~2 us of a
      // pipeline line's ~20 us; see HGETALL_MANY_LUA). Also one consistent snapshot of all of them.
      const out: Record<string, string>[] = [];
      for (let i = 0; i < keys.length; i += HGETALL_MANY_CHUNK) {
        const chunk = keys.slice(i, i + HGETALL_MANY_CHUNK).map(k);
        const got = JSON.parse(await redis.logfaasHgetallMany(chunk.length, chunk)) as (string[] | object)[];
        for (const flat of got) out.push(Array.isArray(flat) ? pairs(flat) : {});
      }
      return out;
    },
    lrange: (key, start, stop) => redis.lrange(k(key), start, stop),
    llen: (key) => redis.llen(k(key)),
    async setIfAbsent(key, value, ttlMs) {
      return (await redis.set(k(key), value, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async delIfEquals(key, value) {
      return (await redis.logfaasDelIfEquals(k(key), value)) === 1;
    },
    async apply(ops, applyOpts = {}) {
      validateOps(ops, applyOpts);
      if (ops.length === 0 && applyOpts.onceKey === undefined) return true;
      const once = applyOpts.onceKey === undefined ? undefined : k(onceKeyName(applyOpts.onceKey));
      const { keys, args } = encodeOps(ops, k, once);
      const ttl = String(applyOpts.onceTtlMs ?? DEFAULT_ONCE_TTL_MS);
      // Arrays, not spreads: ioredis flattens them, and spreading thousands of arguments can overflow the stack.
      const res = await redis.logfaasApply(keys.length, keys, once ? '1' : '0', ttl, args);
      return res === 1;
    },
    async keys(sub) {
      const found = new Set<string>();
      const match = `${globEscape(prefix + sub)}*`;
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        for (const key of batch) found.add(key.slice(prefix.length));
        cursor = next;
      } while (cursor !== '0');
      return [...found];
    },
    async info(): Promise<StorageInfo> {
      const res = (await redis.pipeline().info('memory').info('persistence').exec()) ?? [];
      const fields = parseInfo(res.map(([, v]) => String(v ?? '')).join('\n'));
      // INFO reports the AOF size only; the RDB file size is not in INFO, so it stays unknown.
      const aof = fields.aof_enabled === '1' ? Number(fields.aof_current_size) : Number.NaN;
      return {
        kind: 'redis',
        usedBytes: Number(fields.used_memory) || 0,
        ...(Number.isFinite(aof) ? { persistedBytes: aof } : {}),
      };
    },
    async ping() {
      await redis.ping();
    },
    async close() {
      if (redis.status === 'end') return;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Keys per script call of hgetallMany: bounds one call's time inside Redis (which runs one script at a time). */
const HGETALL_MANY_CHUNK = 1000;

/** HGETALL's flat [field, value, ...] reply as an object, exactly as ioredis's own hgetall makes it. */
function pairs(flat: string[]): Record<string, string> {
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
function encodeOps(ops: readonly WriteOp[], k: (key: string) => string, once: string | undefined) {
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
          op.blob,
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
  return { keys, args: [JSON.stringify(encoded), ...packGroups(grouped)] };
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

const globEscape = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&');

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** Logs the first error of an outage and the recovery, not every failed reconnect attempt. */
function watchConnection(redis: Redis, logger: Logger, safeUrl: string): void {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn('kv: redis connection error, reconnecting', { url: safeUrl, err: err.message });
  });
  redis.on('close', () => {
    if (!down && redis.status !== 'end') {
      down = true;
      logger.warn('kv: redis connection lost, reconnecting', { url: safeUrl });
    }
  });
  redis.on('ready', () => {
    if (down) logger.info('kv: redis reconnected', { url: safeUrl });
    down = false;
  });
}

async function waitReady(redis: Redis, timeoutMs: number, safeUrl: string): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      redis.disconnect();
      reject(new Error(`kv: redis at ${safeUrl} not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

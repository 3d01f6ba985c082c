// The Redis KV (ioredis): every key under one namespace prefix, batch writes as one atomic Lua call.
// Outage policy: fail fast. Commands issued while disconnected reject at once (no offline queue) and
// commands in flight when the connection drops reject (never silently resent: a resent hincrby without
// onceKey would count twice). The client itself reconnects forever with capped backoff.
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { redactUrl, type Secret } from '../secrets.js';
import { APPLY_LUA, DEL_IF_EQUALS_LUA } from './redis-scripts.js';
import type { KV, StorageInfo, WriteOp } from './types.js';
import { DEFAULT_ONCE_TTL_MS, onceKeyName, validateOps } from './write-ops.js';

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
  logfaasApply(numKeys: number, ...args: string[]): Promise<number>;
  logfaasDelIfEquals(key: string, value: string): Promise<number>;
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
  watchConnection(redis, logger, safeUrl);
  await waitReady(redis, opts.startupTimeoutMs ?? 30_000, safeUrl);

  const k = (key: string) => prefix + key;
  return {
    get: (key) => redis.get(k(key)),
    async mget(keys) {
      return keys.length === 0 ? [] : redis.mget(keys.map(k));
    },
    hgetall: (key) => redis.hgetall(k(key)),
    async hgetallMany(keys) {
      if (keys.length === 0) return [];
      const p = redis.pipeline();
      for (const key of keys) p.hgetall(k(key));
      const res = (await p.exec()) ?? [];
      return res.map(([err, v]) => {
        if (err) throw err;
        return v as Record<string, string>;
      });
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
      const { keys, encoded } = encodeOps(ops, k, once);
      const ttl = String(applyOpts.onceTtlMs ?? DEFAULT_ONCE_TTL_MS);
      const res = await redis.logfaasApply(
        keys.length,
        ...keys,
        once ? '1' : '0',
        ttl,
        JSON.stringify(encoded),
      );
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

/** Ops as compact arrays `[name, keyIndex, ...args]` with numbers as strings, plus the KEYS they use. */
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
  const encoded = ops.map((op): unknown[] => {
    switch (op.op) {
      case 'hincrby':
      case 'hincrbyfloat':
        return [op.op, ki(op.key), op.field, String(op.by)];
      case 'hset':
        return [op.op, ki(op.key), Object.entries(op.fields).flat()];
      case 'hsetnx':
        return [op.op, ki(op.key), op.field, op.value];
      case 'set':
        return [op.op, ki(op.key), op.value, op.ttlMs ?? 0];
      case 'lpush':
        return [op.op, ki(op.key), op.values, op.cap];
      case 'expire':
        return [op.op, ki(op.key), op.ttlMs];
      default:
        return [op.op, ki(op.key)]; // del
    }
  });
  return { keys, encoded };
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

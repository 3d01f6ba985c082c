// The KV over an ioredis client, single node or cluster: every key under one namespace prefix, batch
// writes as atomic Lua calls (APPLY_LUA). What differs between the two is a Topology: which keys one
// script call may take together, where an idempotency key lives, and which nodes hold the keyspace.
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { encodeOps, pairs } from './redis-encode.js';
import { APPLY_LUA } from './redis-scripts.js';
import { DEL_IF_EQUALS_LUA, HGETALL_MANY_LUA } from './redis-small-scripts.js';
import type { KV, StorageInfo, WriteOp } from './types.js';
import { DEFAULT_ONCE_TTL_MS, validateOps } from './write-ops.js';

/** The scripts every client gets (defineScripts); ioredis runs them by EVALSHA, falling back to EVAL. */
export interface Scripts {
  logfaasApply(numKeys: number, ...args: (string | (string | Buffer)[])[]): Promise<number>;
  logfaasDelIfEquals(key: string, value: string): Promise<number>;
  logfaasHgetallMany(numKeys: number, keys: string[]): Promise<string>;
}
export type ScriptedClient = (Redis | Cluster) & Scripts;

export function defineScripts(client: Redis | Cluster): ScriptedClient {
  client.defineCommand('logfaasApply', { lua: APPLY_LUA });
  client.defineCommand('logfaasDelIfEquals', { lua: DEL_IF_EQUALS_LUA, numberOfKeys: 1 });
  client.defineCommand('logfaasHgetallMany', { lua: HGETALL_MANY_LUA });
  return client as ScriptedClient;
}

export interface Topology {
  /**
   * Indexes of the (namespaced) keys, grouped so that one script call or MGET may take each group: all
   * of them in one group on a single node, one group per hash slot on a cluster. Input order inside a group.
   */
  split(keys: readonly string[]): number[][];
  /** The namespaced idempotency key of a script call on the (namespaced) keys `keys`, in their slot. */
  onceName(onceKey: string, keys: readonly string[]): string;
  /** The nodes holding the keyspace (every master on a cluster), for SCAN and INFO. */
  nodes(): Redis[];
  /** Cluster: throws on an op the slot layout cannot run (`keys`: the ops' namespaced keys). */
  check?(ops: readonly WriteOp[], keys: readonly string[]): void;
  /** Cluster: whether `err` redirects a command that did not run (after updating the slot map): resend it. */
  redirected?(err: Error): Promise<boolean>;
}

/** Resends of a redirected pipeline before its error is the caller's (ioredis's own default is 16). */
const MAX_REDIRECTIONS = 5;

/** Keys per script call of hgetallMany: bounds one call's time inside Redis (which runs one script at a time). */
const HGETALL_MANY_CHUNK = 1000;

/**
 * Replica acknowledgement of batch writes (REDIS_WAIT_REPLICAS): after each script call, WAIT until this
 * many replicas have it, else the apply rejects (its caller retries; the idempotency key absorbs the copy
 * that was applied). 0 = off: replication stays asynchronous.
 */
export interface WaitReplicas {
  replicas: number;
  timeoutMs: number;
}

export function redisKv(redis: ScriptedClient, prefix: string, topo: Topology, wait?: WaitReplicas): KV {
  const k = (key: string) => prefix + key;

  /** One script call: `ops` all in one group of topo.split. True if applied, false if `once` was there. */
  async function applyOne(ops: readonly WriteOp[], once: string | undefined, ttl: string): Promise<boolean> {
    const { keys, args: text } = encodeOps(ops, k, once);
    const args = text.map(asBytes);
    // Arrays, not spreads: ioredis flattens them, and spreading thousands of arguments can overflow the stack.
    if (!wait?.replicas)
      return (await redis.logfaasApply(keys.length, keys, once ? '1' : '0', ttl, args)) === 1;
    // One pipeline, so WAIT goes to the node that ran the script (a cluster routes it by the script's key).
    // ioredis does not follow a redirection for a pipeline holding a write besides the redirected one, so
    // a redirected script (not run: MOVED and the like are answered before it runs) is resent here.
    for (let attempt = 1; ; attempt++) {
      const pipe = redis.pipeline() as unknown as Scripts & {
        wait(n: number, ms: number): unknown;
        exec(): Promise<[Error | null, unknown][] | null>;
      };
      pipe.logfaasApply(keys.length, keys, once ? '1' : '0', ttl, args);
      pipe.wait(wait.replicas, wait.timeoutMs);
      const [[err, applied], [waitErr, acked]] = (await pipe.exec()) ?? [
        [new Error('kv: pipeline aborted'), 0],
        [null, 0],
      ];
      if (err && attempt < MAX_REDIRECTIONS && (await topo.redirected?.(err))) continue;
      if (err) throw err;
      if (waitErr) throw waitErr;
      if (Number(acked) < wait.replicas)
        throw new Error(
          `kv: batch reached ${acked} of ${wait.replicas} replicas within ${wait.timeoutMs} ms`,
        );
      return applied === 1;
    }
  }

  return {
    get: (key) => redis.get(k(key)),
    async mget(keys) {
      if (keys.length === 0) return [];
      const full = keys.map(k);
      const out: (string | null)[] = new Array(keys.length);
      await Promise.all(
        topo.split(full).map(async (idx) => {
          const got = await redis.mget(idx.map((i) => full[i]));
          idx.forEach((i, j) => {
            out[i] = got[j];
          });
        }),
      );
      return out;
    },
    hgetall: (key) => redis.hgetall(k(key)),
    async hmget(key, fields) {
      return fields.length === 0 ? [] : redis.hmget(k(key), ...fields);
    },
    async hgetallMany(keys) {
      if (keys.length === 0) return [];
      // One script call rather than a pipeline of HGETALLs: detect-anomaly reads ~90 hashes per batch, and
      // ioredis's per-command and per-reply-string costs were most of that read (measured: ~2 us of a
      // pipeline line's ~20 us; see HGETALL_MANY_LUA). Also one consistent snapshot of each slot's hashes.
      const full = keys.map(k);
      const out: Record<string, string>[] = new Array(keys.length);
      const calls: Promise<void>[] = [];
      for (const idx of topo.split(full)) {
        for (let i = 0; i < idx.length; i += HGETALL_MANY_CHUNK) {
          const part = idx.slice(i, i + HGETALL_MANY_CHUNK);
          const names = part.map((j) => full[j]);
          calls.push(
            redis.logfaasHgetallMany(names.length, names).then((text) => {
              const got = JSON.parse(text) as (string[] | object)[];
              part.forEach((j, m) => {
                const flat = got[m];
                out[j] = Array.isArray(flat) ? pairs(flat) : {};
              });
            }),
          );
        }
      }
      await Promise.all(calls);
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
      const onceKey = applyOpts.onceKey;
      if (ops.length === 0 && onceKey === undefined) return true;
      const ttl = String(applyOpts.onceTtlMs ?? DEFAULT_ONCE_TTL_MS);
      const full = ops.map((op) => k(op.key));
      topo.check?.(ops, full);
      const groups = ops.length === 0 ? [[]] : topo.split(full);
      const onceOf = (idx: number[]) =>
        onceKey === undefined ? undefined : topo.onceName(onceKey, idx.length ? [full[idx[0]]] : []);
      if (groups.length === 1) return applyOne(ops, onceOf(groups[0]), ttl);
      // Keys in several slots (cluster only): one atomic call per slot, each with its own idempotency key
      // in that slot. The part of the first op's slot commits the batch: it is applied last, once every
      // other part is known applied, and the call that applies it is the one that returns true. So a
      // redelivery applies exactly the parts that did not happen, and one call per batch sees true
      // (docs/stores.md). Settled, not raced: a failure is reported once no part is still in flight.
      const [commit, ...rest] = groups;
      const results = await Promise.allSettled(
        rest.map((idx) =>
          applyOne(
            idx.map((i) => ops[i]),
            onceOf(idx),
            ttl,
          ),
        ),
      );
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      return applyOne(
        commit.map((i) => ops[i]),
        onceOf(commit),
        ttl,
      );
    },
    async keys(sub) {
      const found = new Set<string>();
      const match = `${globEscape(prefix + sub)}*`;
      for (const node of topo.nodes()) {
        let cursor = '0';
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
          for (const key of batch) found.add(key.slice(prefix.length));
          cursor = next;
        } while (cursor !== '0');
      }
      return [...found];
    },
    async info(): Promise<StorageInfo> {
      let used = 0;
      let aof = 0;
      let aofKnown = true;
      for (const node of topo.nodes()) {
        const res = (await node.pipeline().info('memory').info('persistence').exec()) ?? [];
        const fields = parseInfo(res.map(([, v]) => String(v ?? '')).join('\n'));
        used += Number(fields.used_memory) || 0;
        // INFO reports the AOF size only; the RDB file size is not in INFO, so it stays unknown.
        if (fields.aof_enabled === '1' && Number.isFinite(Number(fields.aof_current_size)))
          aof += Number(fields.aof_current_size);
        else aofKnown = false;
      }
      return { kind: 'redis', usedBytes: used, ...(aofKnown ? { persistedBytes: aof } : {}) };
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
export function watchConnection(redis: Redis | Cluster, logger: Logger, where: string): void {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn('kv: redis connection error, reconnecting', { url: where, err: err.message });
  });
  redis.on('close', () => {
    if (!down && redis.status !== 'end') {
      down = true;
      logger.warn('kv: redis connection lost, reconnecting', { url: where });
    }
  });
  redis.on('ready', () => {
    if (down) logger.info('kv: redis reconnected', { url: where });
    down = false;
  });
}

export async function waitReady(redis: Redis | Cluster, timeoutMs: number, where: string): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      redis.disconnect();
      reject(new Error(`kv: redis at ${where} not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/**
 * A long argument as UTF-8 bytes: ioredis writes a string argument by measuring, concatenating and
 * encoding it (about three times the CPU of encoding it once here, for a batch's ~0.3 MB); a Buffer goes
 * to the socket as it is. Same bytes: a lone surrogate becomes U+FFFD either way.
 */
function asBytes(arg: string | Uint8Array): string | Buffer {
  if (typeof arg !== 'string')
    return Buffer.isBuffer(arg) ? arg : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength);
  return arg.length < 4096 ? arg : Buffer.from(arg, 'utf8');
}

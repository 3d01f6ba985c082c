// The Redis KV on a Redis Cluster (ioredis Cluster): the same KV as redis.ts, with every script call and
// MGET split by hash slot, idempotency keys placed in the slot of the writes they guard, SCAN and INFO
// over every master. Same fail-fast policy: a command to a node that is down rejects (the caller retries
// the whole batch; onceKey absorbs what had been applied), never resent behind the caller's back.
// Key layouts put a batch's keys in one slot where they can (hash tags per source: docs/stores.md).
import { Cluster } from 'ioredis';
import { connectionOptions, type RedisKvOptions, redisRetryDelay } from './redis.js';
import { defineScripts, redisKv, waitReady, watchConnection } from './redis-kv.js';
import { groupBySlot, prefixSlotsSafely, slotOf, tagForSlot } from './slots.js';
import type { KV } from './types.js';
import { onceKeyName, ringBytesKey } from './write-ops.js';

/** A single node's options (redis.ts), with seed nodes in place of its URL. */
export interface RedisClusterKvOptions extends Omit<RedisKvOptions, 'url'> {
  /** Seed nodes (any of the cluster's nodes); the client discovers the rest. */
  nodes: { host: string; port: number }[];
}

export async function createRedisClusterKv(opts: RedisClusterKvOptions): Promise<KV> {
  const { prefix } = opts;
  if (!prefixSlotsSafely(prefix))
    throw new Error(
      `kv: REDIS_PREFIX ${JSON.stringify(prefix)} has a brace that is not one whole {hash tag}`,
    );
  const where = `cluster ${opts.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  const cluster = new Cluster(opts.nodes, {
    enableOfflineQueue: false,
    clusterRetryStrategy: redisRetryDelay,
    // A failover moves slots: redirections (MOVED/ASK) are followed, a CLUSTERDOWN or TRYAGAIN reply
    // is retried after 100 ms within the command's own budget; a dead node's commands reject (fail fast).
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 2_000,
    redisOptions: connectionOptions(opts),
  });
  const scripted = defineScripts(cluster);
  watchConnection(cluster, opts.logger, where);
  await waitReady(cluster, opts.startupTimeoutMs ?? 30_000, where);
  return redisKv(
    scripted,
    prefix,
    {
      split: (keys) => [...groupBySlot(keys).values()],
      // `_once:{tag}:id`, the tag one of the slot's own (a namespace with a hash tag keeps every key in its slot).
      onceName: (onceKey, keys) => {
        const slot = keys.length ? slotOf(keys[0]) : slotOf(onceKey);
        return prefix + onceKeyName(`{${tagForSlot(slot)}}:${onceKey}`);
      },
      nodes: () => cluster.nodes('master'),
      check(ops, keys) {
        // The script derives a ring's blob and total keys from its key: they must land in its slot.
        ops.forEach((op, i) => {
          if (op.op === 'ringPush' && slotOf(ringBytesKey(keys[i])) !== slotOf(keys[i]))
            throw new TypeError(
              `kv.apply: ringPush key ${op.key} needs a {hash tag} on a Redis Cluster (its blobs and total share its slot)`,
            );
        });
      },
      async redirected(err) {
        if (!/^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /.test(err.message)) return false;
        await new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve()));
        if (!/^MOVED /.test(err.message)) await new Promise((r) => setTimeout(r, 100));
        return true;
      },
    },
    opts.wait,
  );
}

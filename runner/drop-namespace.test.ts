import { describe, expect, it } from 'vitest';
import { connectAmqpBroker } from '../core/broker/amqp.js';
import { namespaced } from '../core/broker/namespace.js';
import { parseClusterNodes } from '../core/kv/cluster-nodes.js';
import { createRedisKv } from '../core/kv/redis.js';
import { createRedisClusterKv } from '../core/kv/redis-cluster.js';
import { silentLogger } from '../core/log.js';
import {
  amqpUrl,
  redisClusterNodes,
  redisUrl,
  requireRedisCluster,
  requireService,
  tcpReachable,
  uniqueName,
} from '../test/services.js';
import { dropNamespace, STACK_QUEUES } from './drop-namespace.js';

const up =
  (await requireService('redis', () => tcpReachable(redisUrl(), 6379))) &&
  (await requireService('rabbitmq', () => tcpReachable(amqpUrl(), 5672)));

const clusterUp = await requireRedisCluster();

describe.skipIf(!up)('dropNamespace', () => {
  it("removes a stack's keys and queues, and nothing of another namespace", async () => {
    const ns = uniqueName('dropns');
    const other = uniqueName('dropns-other');
    const kvs = [ns, other].map((n) =>
      createRedisKv({ url: redisUrl(), prefix: `${n}:`, logger: silentLogger }),
    );
    const [kv, kvOther] = await Promise.all(kvs);
    const raw = await connectAmqpBroker({ url: amqpUrl(), logger: silentLogger });
    const broker = namespaced(raw, ns);
    const brokerOther = namespaced(raw, other);
    try {
      await kv.apply([
        { op: 'hincrby', key: 'a', field: 'f', by: 1 },
        { op: 'hincrby', key: 'b:c', field: 'f', by: 1 },
      ]);
      await kvOther.apply([{ op: 'hincrby', key: 'a', field: 'f', by: 1 }]);
      for (const q of STACK_QUEUES) await broker.declareQueue({ name: q, topics: [] });
      await brokerOther.declareQueue({ name: STACK_QUEUES[0], topics: [] });

      await dropNamespace({ redisUrl: redisUrl(), amqpUrl: amqpUrl(), ns });

      expect(await kv.keys('')).toEqual([]);
      expect(await kvOther.keys('')).toEqual(['a']);
      for (const q of STACK_QUEUES) expect(await broker.queueStats(q)).toBeNull();
      expect(await brokerOther.queueStats(STACK_QUEUES[0])).not.toBeNull();
    } finally {
      await dropNamespace({ redisUrl: redisUrl(), amqpUrl: amqpUrl(), ns: other });
      await raw.close();
      await kv.close();
      await kvOther.close();
    }
  });

  it.skipIf(!clusterUp)('on a Redis Cluster: removes the namespace on every master', async () => {
    const ns = uniqueName('dropns-cluster');
    const other = uniqueName('dropns-cluster-other');
    const nodes = parseClusterNodes(redisClusterNodes());
    const [kv, kvOther] = await Promise.all(
      [ns, other].map((n) => createRedisClusterKv({ nodes, prefix: `${n}:`, logger: silentLogger })),
    );
    try {
      // Keys of many slots, so of every master.
      await kv.apply(
        Array.from({ length: 50 }, (_, i) => ({ op: 'set' as const, key: `k${i}`, value: '1' })),
      );
      await kvOther.apply([{ op: 'set', key: 'a', value: '1' }]);
      await dropNamespace({ redisClusterNodes: redisClusterNodes(), ns });
      expect(await kv.keys('')).toEqual([]);
      expect(await kvOther.keys('')).toEqual(['a']);
    } finally {
      await dropNamespace({ redisClusterNodes: redisClusterNodes(), ns: other });
      await kv.close();
      await kvOther.close();
    }
  });
});

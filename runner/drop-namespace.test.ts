import { describe, expect, it } from 'vitest';
import { connectAmqpBroker } from '../core/broker/amqp.js';
import { namespaced } from '../core/broker/namespace.js';
import { createRedisKv } from '../core/kv/redis.js';
import { silentLogger } from '../core/log.js';
import { amqpUrl, redisUrl, requireService, tcpReachable, uniqueName } from '../test/services.js';
import { dropNamespace, STACK_QUEUES } from './drop-namespace.js';

const up =
  (await requireService('redis', () => tcpReachable(redisUrl(), 6379))) &&
  (await requireService('rabbitmq', () => tcpReachable(amqpUrl(), 5672)));

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
});

// Removes what a namespaced stack (REDIS_PREFIX `{ns}:`, BROKER_NAMESPACE `{ns}`) leaves in a shared
// Redis and RabbitMQ: its keys and its durable queues. The bench and the integration tests start a
// stack per run on the machine's one Redis and RabbitMQ; without this each run left ~5 queues and
// thousands of keys behind for good.
import { connect } from 'amqplib';
import { DEAD_LETTER_QUEUE, queueFor } from '../core/broker/types.js';
import { clearKv } from '../core/kv/clear.js';
import { parseClusterNodes } from '../core/kv/cluster-nodes.js';
import { createRedisKv } from '../core/kv/redis.js';
import { createRedisClusterKv } from '../core/kv/redis-cluster.js';
import { silentLogger } from '../core/log.js';
import { ASYNC_QUEUE } from '../gateway/async-queue.js';
import { FUNCTIONS } from './processes.js';

/** Every queue a stack declares: one per function, the dead letters and the gateway's async calls. */
export const STACK_QUEUES = [...FUNCTIONS.map(queueFor), DEAD_LETTER_QUEUE, ASYNC_QUEUE];

export async function dropNamespace(o: {
  redisUrl?: string;
  /** `host:port,...` of a Redis Cluster: its keys are dropped on every master (wins over redisUrl). */
  redisClusterNodes?: string;
  amqpUrl?: string;
  ns: string;
  /** Queues besides STACK_QUEUES (logical names, as given to the namespaced broker). */
  queues?: string[];
}): Promise<void> {
  if (o.redisClusterNodes || o.redisUrl) {
    const prefix = `${o.ns}:`;
    const kv = o.redisClusterNodes
      ? await createRedisClusterKv({
          nodes: parseClusterNodes(o.redisClusterNodes),
          prefix,
          logger: silentLogger,
        })
      : await createRedisKv({ url: o.redisUrl!, prefix, logger: silentLogger });
    try {
      await clearKv(kv);
    } finally {
      await kv.close();
    }
  }
  if (o.amqpUrl) {
    const conn = await connect(o.amqpUrl);
    try {
      const ch = await conn.createChannel();
      // Deleting a queue that was never declared is a no-op in RabbitMQ.
      for (const q of [...STACK_QUEUES, ...(o.queues ?? [])]) await ch.deleteQueue(`${o.ns}.${q}`);
      await ch.close();
    } finally {
      await conn.close();
    }
  }
}

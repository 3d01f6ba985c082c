// Where shared state and messages live: real Redis/RabbitMQ when their URLs are set, embedded otherwise.

import { QUEUE_TYPES, type QueueTypeOptions } from './broker/queue-args.js';
import type { EnvReader } from './env.js';
import { parseClusterNodes } from './kv/cluster-nodes.js';
import { DEFAULT_SECRETS_DIR, readSecretFile, Secret } from './secrets.js';

export interface StoreConfig {
  /** redis://... ; absent = embedded KV persisted under dataDir (unless redisClusterNodes is set). */
  redisUrl?: string;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES `host:port,...`); set, it wins over redisUrl. */
  redisClusterNodes?: { host: string; port: number }[];
  /** From secret file `redis-password` or REDIS_PASSWORD; overrides a password in the URL. */
  redisPassword?: Secret;
  /** Every key is namespaced under this prefix, so stacks and tests can share one Redis. */
  redisPrefix: string;
  /**
   * REDIS_WAIT_REPLICAS (default 0 = off) and REDIS_WAIT_TIMEOUT (1s): replicas each batch write must reach
   * (WAIT) before it counts as done, so a failover cannot lose a batch that was already acknowledged.
   */
  redisWait?: { replicas: number; timeoutMs: number };
  /** amqp://... ; absent = embedded broker (only possible when every component runs in one process). */
  amqpUrl?: string;
  /** From secret file `rabbitmq-password` or RABBITMQ_PASSWORD; overrides a password in the URL. */
  amqpPassword?: Secret;
  /**
   * Optional namespace for every topic and queue name (`{ns}.logs.raw`, `{ns}.logfaas.parse-log`), so
   * several stacks or test runs can share one RabbitMQ without seeing each other's messages.
   */
  brokerNamespace?: string;
  /**
   * AMQP_QUEUE_TYPE (classic | quorum) and, for quorum, AMQP_DELIVERY_LIMIT. Every process sharing a
   * RabbitMQ must use the same values: a queue declared with other arguments is refused. Absent = classic.
   */
  amqpQueues?: QueueTypeOptions;
  dataDir: string;
  secretsDir: string;
  /** Embedded broker only: ready bytes per queue before publishes wait (flow control). */
  embeddedQueueBytes?: number;
}

export function readStoreConfig(
  r: EnvReader,
  env: Readonly<Record<string, string | undefined>>,
): StoreConfig {
  const secretsDir = r.str('SECRETS_DIR', DEFAULT_SECRETS_DIR);
  return {
    redisUrl: r.optStr('REDIS_URL'),
    redisClusterNodes: clusterNodes(r),
    redisPassword: readSecretFile(secretsDir, 'redis-password') ?? secretFromEnv(env, 'REDIS_PASSWORD'),
    redisPrefix: r.str('REDIS_PREFIX', 'logfaas:'),
    redisWait: {
      replicas: r.int('REDIS_WAIT_REPLICAS', 0, 0, 16),
      timeoutMs: r.duration('REDIS_WAIT_TIMEOUT', 1_000),
    },
    amqpUrl: r.optStr('AMQP_URL'),
    amqpPassword: readSecretFile(secretsDir, 'rabbitmq-password') ?? secretFromEnv(env, 'RABBITMQ_PASSWORD'),
    brokerNamespace: r.optStr('BROKER_NAMESPACE'),
    amqpQueues: readQueueType(r),
    dataDir: r.str('DATA_DIR', 'data'),
    secretsDir,
    // 8 MiB: about 80,000 raw lines or 16,000 parsed events of backlog per queue; enough to keep every
    // stage busy, small enough that a fast sender cannot grow `npm start` past its memory budget.
    embeddedQueueBytes: r.int('EMBEDDED_QUEUE_BYTES', 8 * 1024 * 1024, 64 * 1024),
  };
}

function clusterNodes(r: EnvReader): StoreConfig['redisClusterNodes'] {
  const text = r.optStr('REDIS_CLUSTER_NODES');
  if (text === undefined) return undefined;
  try {
    const nodes = parseClusterNodes(text);
    if (nodes.length > 0) return nodes;
    r.problem('REDIS_CLUSTER_NODES: no host:port given');
  } catch (e) {
    r.problem((e as Error).message);
  }
  return undefined;
}

function readQueueType(r: EnvReader): QueueTypeOptions {
  // Classic stays the default for plain AMQP_URL runs: queues created by earlier versions are classic,
  // and redeclaring them as quorum would be refused. docker-compose.yml and stack.yml choose quorum.
  const type = r.str('AMQP_QUEUE_TYPE', 'classic');
  if (!(QUEUE_TYPES as readonly string[]).includes(type))
    r.problem(`AMQP_QUEUE_TYPE=${JSON.stringify(type)} must be one of ${QUEUE_TYPES.join(', ')}`);
  return {
    type: type === 'quorum' ? 'quorum' : 'classic',
    // Above the redeliveries a healthy stack sees (a restart or two), far below a crash loop's.
    deliveryLimit: r.int('AMQP_DELIVERY_LIMIT', 10, 1, 10_000),
  };
}

function secretFromEnv(env: Readonly<Record<string, string | undefined>>, key: string): Secret | undefined {
  const v = env[key];
  return v ? new Secret(v) : undefined;
}

// Builds the KV store a component uses: a Redis Cluster when REDIS_CLUSTER_NODES is set, else Redis when
// REDIS_URL is set, else the embedded store.
// Signature is the contract for every main.ts.
import type { Logger } from '../log.js';
import { redactUrl } from '../secrets.js';
import type { StoreConfig } from '../stores-config.js';
import { createMemoryKv } from './memory.js';
import { createRedisKv } from './redis.js';
import { createRedisClusterKv } from './redis-cluster.js';
import type { KV } from './types.js';

export async function createKv(cfg: StoreConfig, logger: Logger): Promise<KV> {
  const log = logger.child({ component: 'kv' });
  if (cfg.redisClusterNodes) {
    const nodes = cfg.redisClusterNodes.map((n) => `${n.host}:${n.port}`).join(',');
    log.info('kv: using redis cluster', { nodes, prefix: cfg.redisPrefix });
    return createRedisClusterKv({
      nodes: cfg.redisClusterNodes,
      password: cfg.redisPassword,
      prefix: cfg.redisPrefix,
      logger: log,
      wait: cfg.redisWait,
    });
  }
  if (cfg.redisUrl) {
    log.info('kv: using redis', { url: redactUrl(cfg.redisUrl), prefix: cfg.redisPrefix });
    return createRedisKv({
      url: cfg.redisUrl,
      password: cfg.redisPassword,
      prefix: cfg.redisPrefix,
      logger: log,
      wait: cfg.redisWait,
    });
  }
  log.info('kv: using the embedded store', { dataDir: cfg.dataDir });
  return createMemoryKv({ dataDir: cfg.dataDir, logger: log });
}

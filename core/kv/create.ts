// Builds the KV store a component uses: Redis when REDIS_URL is set, else the embedded store.
// Signature is the contract for every main.ts.
import type { Logger } from '../log.js';
import { redactUrl } from '../secrets.js';
import type { StoreConfig } from '../stores-config.js';
import { createMemoryKv } from './memory.js';
import { createRedisKv } from './redis.js';
import type { KV } from './types.js';

export async function createKv(cfg: StoreConfig, logger: Logger): Promise<KV> {
  const log = logger.child({ component: 'kv' });
  if (cfg.redisUrl) {
    log.info('kv: using redis', { url: redactUrl(cfg.redisUrl), prefix: cfg.redisPrefix });
    return createRedisKv({
      url: cfg.redisUrl,
      password: cfg.redisPassword,
      prefix: cfg.redisPrefix,
      logger: log,
    });
  }
  log.info('kv: using the embedded store', { dataDir: cfg.dataDir });
  return createMemoryKv({ dataDir: cfg.dataDir, logger: log });
}

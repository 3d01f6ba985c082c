// Builds the KV store a component uses: Redis when REDIS_URL is set, else the embedded store.
// OWNER: adapters helper (fills in). Signature is the contract for every main.ts.
import type { Logger } from '../log.js';
import type { StoreConfig } from '../stores-config.js';
import type { KV } from './types.js';

export async function createKv(cfg: StoreConfig, logger: Logger): Promise<KV> {
  void cfg;
  void logger;
  throw new Error('createKv: not implemented yet');
}

// Test support: the two KVs a store test runs against, the embedded one and real Redis under a random
// prefix of its own (clearAndClose removes it); Redis skipped locally when down, a failure under CI=true.
import { randomUUID } from 'node:crypto';
import { createMemoryKv } from '../../core/kv/memory.js';
import { createRedisKv } from '../../core/kv/redis.js';
import type { KV } from '../../core/kv/types.js';
import { silentLogger } from '../../core/log.js';
import { redisUrl, requireService, tcpReachable } from '../services.js';

export interface KvTarget {
  name: string;
  up: boolean;
  /** Whether the KV's clock is `now` (the embedded one when given a clock); Redis keeps its own time. */
  fakeClock: boolean;
  open: () => Promise<KV>;
}

/** `name` goes into the Redis prefix (`logfaas-test-NAME-UUID:`); `now` is the embedded KV's clock. */
export async function kvTargets(name: string, now?: () => number): Promise<KvTarget[]> {
  const redisUp = await requireService('redis', () => tcpReachable(redisUrl(), 6379));
  return [
    {
      name: 'embedded',
      up: true,
      fakeClock: now !== undefined,
      open: () => createMemoryKv(now ? { now } : {}),
    },
    {
      name: 'redis',
      up: redisUp,
      fakeClock: false,
      open: () =>
        createRedisKv({
          url: redisUrl(),
          prefix: `logfaas-test-${name}-${randomUUID()}:`,
          logger: silentLogger,
        }),
    },
  ];
}

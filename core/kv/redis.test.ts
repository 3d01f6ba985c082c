// Redis-only behaviour beyond the contract: outages fail fast and recover, secrets never reach logs.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisUrl, requireService, tcpReachable, uniqueName } from '../../test/services.js';
import { createLogger } from '../log.js';
import { Secret } from '../secrets.js';
import { createKv } from './create.js';
import { createRedisKv } from './redis.js';

const redisUp = await requireService('redis', () => tcpReachable(redisUrl(), 6379));

describe.skipIf(!redisUp)('Redis KV', () => {
  it('fails fast while its connection is down and recovers by itself', async () => {
    const name = uniqueName('logfaas-test-kv');
    const kv = await createRedisKv({
      url: redisUrl(),
      prefix: `${name}:`,
      logger: createLogger({}, () => {}),
      connectionName: name,
    });
    const admin = new Redis(redisUrl());
    try {
      await kv.apply([{ op: 'set', key: 'k', value: 'v' }]);
      // Kill only our own connection (found by its CLIENT SETNAME): other suites share this Redis.
      const list = (await admin.client('LIST')) as string;
      const id = list
        .split('\n')
        .find((l) => l.includes(` name=${name} `))
        ?.match(/^id=(\d+)/)?.[1];
      expect(id).toBeDefined();
      await admin.client('KILL', 'ID', id!);
      const started = Date.now();
      await expect(kv.get('k')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1_000);
      let value: string | null = null;
      for (let i = 0; i < 50 && value === null; i++) {
        value = await kv.get('k').catch(() => null);
        if (value === null) await new Promise((r) => setTimeout(r, 100));
      }
      expect(value).toBe('v');
      await kv.apply([{ op: 'del', key: 'k' }]);
    } finally {
      await kv.close();
      await admin.quit();
    }
  });

  it('never logs a password, from the URL or from the secret', async () => {
    const lines: string[] = [];
    const logger = createLogger({}, (l) => lines.push(l));
    await expect(
      createRedisKv({ url: `redis://:url-sekret@127.0.0.1:1`, prefix: 'x:', logger, startupTimeoutMs: 300 }),
    ).rejects.toThrow(/not reachable/);
    const kv = await createKv(
      {
        redisUrl: redisUrl(),
        redisPassword: undefined,
        redisPrefix: 'x:',
        dataDir: 'unused',
        secretsDir: '/nonexistent',
      },
      logger,
    );
    await kv.close();
    const all = lines.join('');
    expect(all).not.toContain('url-sekret');
    expect(all).toContain('***');
    expect(all).toContain('using redis');
    expect(String(new Secret('s3'))).toBe('[redacted]');
  });
});

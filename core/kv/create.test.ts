// createKv picks the store from the config: Redis with REDIS_URL (see redis.test.ts), else the embedded one.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { createKv } from './create.js';

it('uses the embedded store under DATA_DIR when no REDIS_URL is set, and says so', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'logfaas-create-'));
  const lines: string[] = [];
  const kv = await createKv(
    { redisPrefix: 'logfaas:', dataDir: dir, secretsDir: '/nonexistent' },
    createLogger({}, (l) => lines.push(l)),
  );
  await kv.apply([{ op: 'set', key: 'k', value: 'v' }]);
  expect((await kv.info()).kind).toBe('embedded');
  await kv.close();
  expect(await readdir(dir)).toEqual(['kv.json']);
  expect(lines.join('')).toContain('using the embedded store');
  await rm(dir, { recursive: true, force: true });
});

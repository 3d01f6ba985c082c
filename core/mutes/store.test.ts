// The mute store against the embedded KV and real Redis (the same tests on both).
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearAndClose, redisUrl, requireService, tcpReachable, uniqueName } from '../../test/services.js';
import { createMemoryKv } from '../kv/memory.js';
import { createRedisKv } from '../kv/redis.js';
import type { KV } from '../kv/types.js';
import { silentLogger } from '../log.js';
import { MUTE_LIMITS } from './mute.js';
import { addMute, listMutes, MUTE_KEYS, MutesFullError, removeMute } from './store.js';

const redisUp = await requireService('redis', () => tcpReachable(redisUrl(), 6379));
const tmpRoot = join(tmpdir(), 'logfaas-mutes');

const targets = [
  { name: 'embedded', up: true, open: (ns: string) => createMemoryKv({ dataDir: join(tmpRoot, ns) }) },
  {
    name: 'redis',
    up: redisUp,
    open: (ns: string) => createRedisKv({ url: redisUrl(), prefix: `${ns}:`, logger: silentLogger }),
  },
];

describe.each(targets)('mute store: $name', (target) => {
  let ns: string;
  let kv: KV;
  const opened: KV[] = [];

  beforeEach(async (ctx) => {
    if (!target.up) ctx.skip();
    ns = uniqueName('mutes');
    kv = await target.open(ns);
    opened.push(kv);
  });
  afterEach(async () => {
    await clearAndClose(opened);
    await rm(join(tmpRoot, ns), { recursive: true, force: true });
  });

  it('adds, lists, replaces and removes; each change bumps the revision', async () => {
    const r1 = await addMute(
      kv,
      { source: 'web', templateId: 't1', reason: 'noisy' },
      { now: 1000, defaultBy: 'admin' },
    );
    expect(r1).toEqual({
      mute: { source: 'web', templateId: 't1', at: 1000, reason: 'noisy', by: 'admin' },
      replaced: false,
    });
    const rev1 = await kv.get(MUTE_KEYS.rev);
    await addMute(kv, { source: 'api', templateId: 't1', forMs: 60_000 }, { now: 2000 });
    expect((await listMutes(kv, 3000)).map((m) => m.source)).toEqual(['api', 'web']);
    const r2 = await addMute(kv, { source: 'web', templateId: 't1' }, { now: 4000 });
    expect(r2.replaced).toBe(true);
    expect(await listMutes(kv, 4000)).toEqual([
      { source: 'web', templateId: 't1', at: 4000 },
      { source: 'api', templateId: 't1', at: 2000, until: 62_000 },
    ]);
    expect(await kv.get(MUTE_KEYS.rev)).not.toBe(rev1);
    expect(await removeMute(kv, 'web', 't1', 5000)).toBe(true);
    expect(await removeMute(kv, 'web', 't1', 5000)).toBe(false);
    expect((await listMutes(kv, 5000)).map((m) => m.source)).toEqual(['api']);
    // Expired: not listed, and pruned by the next write.
    expect(await listMutes(kv, 62_000)).toEqual([]);
    await addMute(kv, { source: 'db', templateId: 't3' }, { now: 70_000 });
    expect((await kv.get(MUTE_KEYS.list))?.includes('"api"')).toBe(false);
    // The lock is released after every write.
    expect(await kv.get(MUTE_KEYS.lock)).toBeNull();
  });

  it('keeps every mute of concurrent writers (the lock), and refuses past the cap', async () => {
    const other = await target.open(ns);
    opened.push(other);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        addMute(i % 2 ? kv : other, { source: 's', templateId: `t${i}` }, { now: 1000 + i }),
      ),
    );
    expect((await listMutes(kv, 2000)).length).toBe(20);
    const many = Array.from({ length: MUTE_LIMITS.maxMutes }, (_, i) => ({
      source: 's',
      templateId: `t${i}`,
      at: 1,
    }));
    await kv.apply([{ op: 'set', key: MUTE_KEYS.list, value: JSON.stringify({ mutes: many }) }]);
    await expect(addMute(kv, { source: 's', templateId: 'one-more' }, { now: 2 })).rejects.toThrow(
      MutesFullError,
    );
    await expect(
      addMute(kv, { source: 's', templateId: 't7', reason: 'again' }, { now: 2 }),
    ).resolves.toMatchObject({
      replaced: true,
    });
  });
});

// The embedded store's own promises beyond the contract: snapshots survive a restart, atomically.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryKv, SNAPSHOT_FILE } from './memory.js';

describe('embedded KV persistence', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'logfaas-kv-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reloads strings, hashes, lists, TTLs and idempotency keys after close and reopen', async () => {
    let t = 1_000_000;
    const now = () => t;
    const a = await createMemoryKv({ dataDir: dir, now });
    await a.apply(
      [
        { op: 'set', key: 's', value: 'v' },
        { op: 'set', key: 'ttl', value: 'x', ttlMs: 1_000 },
        { op: 'hset', key: 'h', fields: { a: '1' } },
        { op: 'lpush', key: 'l', values: ['1', '2'], cap: 5 },
      ],
      { onceKey: 'm1', onceTtlMs: 10_000 },
    );
    await a.close();
    expect((await readdir(dir)).sort()).toEqual([SNAPSHOT_FILE]); // no temp file left behind

    const b = await createMemoryKv({ dataDir: dir, now });
    expect(await b.get('s')).toBe('v');
    expect(await b.hgetall('h')).toEqual({ a: '1' });
    expect(await b.lrange('l', 0, -1)).toEqual(['2', '1']);
    expect(await b.apply([{ op: 'set', key: 's', value: 'again' }], { onceKey: 'm1' })).toBe(false);
    t += 1_500;
    expect(await b.get('ttl')).toBeNull();
    expect(await b.get('s')).toBe('v');
    t += 10_000;
    expect(await b.apply([{ op: 'set', key: 's', value: 'again' }], { onceKey: 'm1' })).toBe(true);
    await b.close();
  });

  it('drops keys that expired while the store was down', async () => {
    let t = 0;
    const a = await createMemoryKv({ dataDir: dir, now: () => t });
    await a.apply([{ op: 'set', key: 'gone', value: '1', ttlMs: 100 }]);
    await a.close();
    t = 200;
    const b = await createMemoryKv({ dataDir: dir, now: () => t });
    expect(await b.keys('')).toEqual([]);
    await b.close();
  });

  it('snapshots periodically, without waiting for close', async () => {
    const kv = await createMemoryKv({ dataDir: dir, snapshotIntervalMs: 20 });
    await kv.apply([{ op: 'set', key: 'k', value: 'periodic' }]);
    await new Promise((r) => setTimeout(r, 80));
    expect(await readFile(join(dir, SNAPSHOT_FILE), 'utf8')).toContain('periodic');
    expect((await kv.info()).persistedBytes).toBeGreaterThan(0);
    await kv.close();
  });

  it('shares one store between handles on the same dataDir and saves when the last one closes', async () => {
    const a = await createMemoryKv({ dataDir: dir });
    const b = await createMemoryKv({ dataDir: dir });
    await a.apply([{ op: 'set', key: 'k', value: 'shared' }]);
    expect(await b.get('k')).toBe('shared');
    await a.close();
    expect(await b.get('k')).toBe('shared');
    await b.close();
    const c = await createMemoryKv({ dataDir: dir });
    expect(await c.get('k')).toBe('shared');
    await c.close();
  });

  it('refuses to start over a corrupt snapshot instead of silently starting empty', async () => {
    await writeFile(join(dir, SNAPSHOT_FILE), '{"format":"logfaas-kv","vers');
    await expect(createMemoryKv({ dataDir: dir })).rejects.toThrow();
  });

  it('without a dataDir keeps everything in memory only', async () => {
    const kv = await createMemoryKv();
    await kv.apply([{ op: 'set', key: 'k', value: 'v' }]);
    const info = await kv.info();
    expect(info).toMatchObject({ kind: 'embedded', keys: 1 });
    expect(info.persistedBytes).toBeUndefined();
    await kv.close();
    await expect(kv.get('k')).rejects.toThrow(/closed/);
  });
});

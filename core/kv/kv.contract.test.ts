// One contract, two stores: every test here runs against the embedded KV and against real Redis.
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  redisClusterNodes,
  redisUrl,
  requireRedisCluster,
  requireService,
  tcpReachable,
  uniqueName,
} from '../../test/services.js';
import { silentLogger } from '../log.js';
import { clearKv } from './clear.js';
import { parseClusterNodes } from './cluster-nodes.js';
import { createMemoryKv } from './memory.js';
import { createRedisKv } from './redis.js';
import { createRedisClusterKv } from './redis-cluster.js';
import type { KV, WriteOp } from './types.js';

const redisUp = await requireService('redis', () => tcpReachable(redisUrl(), 6379));
const clusterUp = await requireRedisCluster();

interface Target {
  name: string;
  up: boolean;
  /** Opens a client on the namespace `ns`; two opens on one ns see the same data (two processes). */
  open(ns: string): Promise<KV>;
  cleanup?(ns: string): Promise<void>;
}

const tmpRoot = join(tmpdir(), 'logfaas-kv-contract');

const targets: Target[] = [
  {
    name: 'embedded',
    up: true,
    open: (ns) => createMemoryKv({ dataDir: join(tmpRoot, ns) }),
    cleanup: (ns) => rm(join(tmpRoot, ns), { recursive: true, force: true }),
  },
  {
    name: 'redis',
    up: redisUp,
    open: (ns) => createRedisKv({ url: redisUrl(), prefix: `${ns}:`, logger: silentLogger }),
  },
  {
    name: 'redis-cluster',
    up: clusterUp,
    open: (ns) =>
      createRedisClusterKv({
        nodes: parseClusterNodes(redisClusterNodes()),
        prefix: `${ns}:`,
        logger: silentLogger,
      }),
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(targets)('KV contract: $name', (target) => {
  let ns: string;
  let kv: KV;
  const opened: KV[] = [];
  const open = async () => {
    const c = await target.open(ns);
    opened.push(c);
    return c;
  };

  beforeEach(async (ctx) => {
    if (!target.up) ctx.skip();
    ns = uniqueName('kvtest');
    kv = await open();
  });
  afterEach(async () => {
    if (!target.up) return;
    await clearKv(kv);
    expect(await kv.keys('')).toEqual([]);
    for (const c of opened.splice(0)) await c.close();
    await target.cleanup?.(ns);
  });

  it('sets, gets and mgets strings; missing keys are null', async () => {
    expect(await kv.get('a')).toBeNull();
    await kv.apply([
      { op: 'set', key: 'a', value: '1' },
      { op: 'set', key: 'b', value: 'two' },
    ]);
    expect(await kv.get('a')).toBe('1');
    expect(await kv.mget(['a', 'nope', 'b'])).toEqual(['1', null, 'two']);
    expect(await kv.mget([])).toEqual([]);
  });

  it('expires keys after their TTL (set ttlMs and expire)', async () => {
    await kv.apply([
      { op: 'set', key: 's', value: 'v', ttlMs: 250 },
      { op: 'hset', key: 'h', fields: { f: '1' } },
      { op: 'expire', key: 'h', ttlMs: 250 },
      { op: 'set', key: 'keep', value: 'k' },
    ]);
    expect(await kv.get('s')).toBe('v'); // TTLs leave room for a loaded machine between these calls
    expect(await kv.hgetall('h')).toEqual({ f: '1' });
    await sleep(350);
    expect(await kv.get('s')).toBeNull();
    expect(await kv.hgetall('h')).toEqual({});
    expect(await kv.get('keep')).toBe('k');
    expect((await kv.keys('')).sort()).toEqual(['keep']);
  });

  it('set without ttl clears an earlier TTL; hash writes keep it', async () => {
    await kv.apply([
      { op: 'set', key: 's', value: 'v', ttlMs: 60 },
      { op: 'set', key: 's', value: 'w' },
      { op: 'hset', key: 'h', fields: { a: '1' } },
      { op: 'expire', key: 'h', ttlMs: 60 },
      { op: 'hincrby', key: 'h', field: 'n', by: 1 },
    ]);
    await sleep(120);
    expect(await kv.get('s')).toBe('w');
    expect(await kv.hgetall('h')).toEqual({});
  });

  it('hmget reads some fields of a hash in order; missing fields and keys are null', async () => {
    await kv.apply([{ op: 'hset', key: 'h', fields: { a: '1', b: 'two' } }]);
    expect(await kv.hmget('h', ['b', 'nope', 'a'])).toEqual(['two', null, '1']);
    expect(await kv.hmget('missing', ['a'])).toEqual([null]);
    expect(await kv.hmget('h', [])).toEqual([]);
  });

  it('hash ops: hincrby, hincrbyfloat, hset, hsetnx keeps the first value', async () => {
    await kv.apply([
      { op: 'hincrby', key: 'h', field: 'n', by: 2 },
      { op: 'hincrby', key: 'h', field: 'n', by: -5 },
      { op: 'hincrbyfloat', key: 'h', field: 'x', by: 0.1 },
      { op: 'hincrbyfloat', key: 'h', field: 'x', by: 0.2 },
      { op: 'hset', key: 'h', fields: { a: 'A', b: 'B' } },
      { op: 'hsetnx', key: 'h', field: 'first', value: 't1' },
      { op: 'hsetnx', key: 'h', field: 'first', value: 't2' },
      { op: 'hset', key: 'h', fields: {} },
    ]);
    const h = await kv.hgetall('h');
    expect(h).toMatchObject({ n: '-3', a: 'A', b: 'B', first: 't1' });
    expect(Number(h.x)).toBeCloseTo(0.3, 12);
    expect(await kv.hgetall('missing')).toEqual({});
  });

  describe('capped hash writes (hincrbyCapped, hsetCapped)', () => {
    const inc = (field: string, by: number, float = false): WriteOp => ({
      op: 'hincrbyCapped',
      key: 'h',
      field,
      by,
      ...(float ? { float } : {}),
      maxFields: 3,
      otherField: float ? 'other_f' : 'other',
    });

    it('below the cap creates fields; at the cap existing fields still count and new ones go to otherField', async () => {
      await kv.apply([inc('a', 1), inc('b', 2)]);
      expect(await kv.hgetall('h')).toEqual({ a: '1', b: '2' });
      // c fills the hash to 3; d and e find it full and land on `other` (which itself may grow past 3).
      await kv.apply([inc('c', 3), inc('d', 4), inc('a', 10), inc('e', 5)]);
      expect(await kv.hgetall('h')).toEqual({ a: '11', b: '2', c: '3', other: '9' });
      await kv.apply([inc('b', 1), inc('z', 1)]);
      expect(await kv.hgetall('h')).toEqual({ a: '11', b: '3', c: '3', other: '10' });
    });

    it('counts the fields of other ops, earlier in the batch and before it', async () => {
      await kv.apply([
        { op: 'hset', key: 'h', fields: { p: 'x' } },
        { op: 'hincrby', key: 'h', field: 'q', by: 1 },
        inc('a', 1), // third field: fits
        inc('b', 1), // the hash is full
      ]);
      expect(await kv.hgetall('h')).toEqual({ p: 'x', q: '1', a: '1', other: '1' });
      // After a del the hash is empty again, within the same batch.
      await kv.apply([{ op: 'del', key: 'h' }, inc('b', 2), inc('c', 2)]);
      expect(await kv.hgetall('h')).toEqual({ b: '2', c: '2' });
    });

    it('float variant: sums stay in their field or fold into otherField', async () => {
      await kv.apply([inc('a', 0.5, true), inc('b', 0.25, true), inc('c', 0.1, true)]);
      await kv.apply([inc('d', 0.2, true), inc('e', 1.5, true), inc('a', 0.25, true)]);
      const h = await kv.hgetall('h');
      expect(Object.keys(h).sort()).toEqual(['a', 'b', 'c', 'other_f']);
      expect(Number(h.a)).toBeCloseTo(0.75, 12);
      expect(Number(h.other_f)).toBeCloseTo(1.7, 12);
      await expect(
        kv.apply([{ op: 'hincrbyCapped', key: 'h', field: 'x', by: 1.5, maxFields: 3, otherField: 'o' }]),
      ).rejects.toThrow(TypeError);
    });

    it('hsetCapped: set and set-if-absent, with otherValue past the cap', async () => {
      const set = (field: string, value: string, nx = false): WriteOp => ({
        op: 'hsetCapped',
        key: 'h',
        field,
        value,
        nx,
        maxFields: 2,
        otherField: 'o',
        otherValue: 'overflow',
      });
      await kv.apply([set('a', '1', true), set('a', '2', true), set('b', '1'), set('b', '2')]);
      await kv.apply([set('c', 'x', true), set('d', 'y'), set('a', '3')]);
      expect(await kv.hgetall('h')).toEqual({ a: '3', b: '2', o: 'overflow' });
      // Empty values are values too.
      await kv.apply([
        { ...(set('e', '') as Extract<WriteOp, { op: 'hsetCapped' }>), otherField: 'p', otherValue: '' },
      ]);
      expect((await kv.hgetall('h')).p).toBe('');
    });

    it('mixes with other ops and keys in one atomic apply; a bad value fails the whole batch', async () => {
      await kv.apply([
        { op: 'hincrby', key: 'h', field: 'n', by: 1 },
        { op: 'hincrbyfloat', key: 'h', field: 'ls', by: 2.5 },
        inc('a', 1),
        inc('b', 1, true),
        { op: 'set', key: 's', value: 'v' },
        { op: 'lpush', key: 'l', values: ['x'], cap: 3 },
        { op: 'expire', key: 'h', ttlMs: 60_000 },
      ]);
      expect(await kv.hgetall('h')).toEqual({ n: '1', ls: '2.5', a: '1', other_f: '1' });
      await kv.apply([{ op: 'hset', key: 'h', fields: { other: 'text' } }]);
      // `z` would land on `other`, which is not an integer: nothing of the batch is written.
      await expect(
        kv.apply([{ op: 'hincrby', key: 'h', field: 'n', by: 1 }, inc('a', 1), inc('z', 1)]),
      ).rejects.toThrow(/not an integer/);
      expect(await kv.hgetall('h')).toMatchObject({ n: '1', a: '1' });
      // Keys of one hash slot (a cluster applies each slot's part on its own: see the cluster test below).
      await kv.apply([
        { op: 'set', key: '{h}s', value: 'v' },
        { ...inc('a', 1), key: '{h}' },
      ]);
      await expect(
        kv.apply([
          { ...inc('a', 1), key: '{h}' },
          { ...inc('x', 1), key: '{h}s' },
        ]),
      ).rejects.toThrow(/WRONGTYPE/);
      expect((await kv.hgetall('{h}')).a).toBe('1');
    });

    it('onceKey: a capped batch applied twice writes once', async () => {
      const batch = [inc('a', 1), inc('b', 1), inc('c', 1), inc('d', 1)];
      expect(await kv.apply(batch, { onceKey: 'cap-1' })).toBe(true);
      expect(await kv.apply(batch, { onceKey: 'cap-1' })).toBe(false);
      expect(await kv.hgetall('h')).toEqual({ a: '1', b: '1', c: '1', other: '1' });
    });

    it('a flood of distinct fields from concurrent writers stays at the cap, totals exact', async () => {
      const other = await open();
      const big = (field: string): WriteOp => ({
        op: 'hincrbyCapped',
        key: 'big',
        field,
        by: 1,
        maxFields: 50,
        otherField: '(other)',
      });
      await Promise.all(
        Array.from({ length: 20 }, (_, b) =>
          (b % 2 ? other : kv).apply(Array.from({ length: 10 }, (_, i) => big(`f${b}-${i}`))),
        ),
      );
      const h = await kv.hgetall('big');
      expect(Object.keys(h).length).toBe(51);
      expect(Object.values(h).reduce((s, v) => s + Number(v), 0)).toBe(200);
      expect(h['(other)']).toBe('150');
    });
  });

  it('hgetallMany returns one object per key, in order, {} for missing', async () => {
    await kv.apply([
      { op: 'hset', key: 'h1', fields: { a: '1' } },
      { op: 'hset', key: 'h3', fields: { c: '3' } },
    ]);
    expect(await kv.hgetallMany(['h1', 'h2', 'h3'])).toEqual([{ a: '1' }, {}, { c: '3' }]);
    expect(await kv.hgetallMany([])).toEqual([]);
  });

  it('hgetallMany returns what hgetall does, fields named like inherited properties included', async () => {
    const fields = { constructor: '1', toString: '2', a: '3' };
    await kv.apply([
      { op: 'hset', key: 'h1', fields },
      { op: 'hset', key: 'h1', fields: JSON.parse('{"__proto__":"4"}') },
    ]);
    const [many] = await kv.hgetallMany(['h1']);
    const one = await kv.hgetall('h1');
    expect(Object.entries(many).sort()).toEqual(Object.entries(one).sort());
    expect(Object.getOwnPropertyDescriptor(many, '__proto__')?.value).toBe('4');
    expect(many.constructor).toBe('1');
    const odd = ['ü ✓ 😀', '"q" \\ /x/', 'nul\u0000byte', 'ctl\u0001\u001f\t\n', '', '[]', '{}'];
    await kv.apply([
      { op: 'hset', key: 'h2', fields: Object.fromEntries(odd.map((x, i) => [x || 'e', `${i}${x}`])) },
    ]);
    expect(await kv.hgetallMany(['h2', 'none', 'h2'])).toEqual([
      await kv.hgetall('h2'),
      {},
      await kv.hgetall('h2'),
    ]);
    expect((await kv.hgetallMany(['h2']))[0]['ü ✓ 😀']).toBe('0ü ✓ 😀');
  });

  it('lpush puts values at the head and trims to cap', async () => {
    await kv.apply([{ op: 'lpush', key: 'l', values: ['a', 'b', 'c'], cap: 4 }]);
    expect(await kv.lrange('l', 0, -1)).toEqual(['c', 'b', 'a']);
    await kv.apply([{ op: 'lpush', key: 'l', values: ['d', 'e'], cap: 4 }]);
    expect(await kv.lrange('l', 0, -1)).toEqual(['e', 'd', 'c', 'b']);
    expect(await kv.llen('l')).toBe(4);
    expect(await kv.lrange('l', 1, 2)).toEqual(['d', 'c']);
    expect(await kv.lrange('l', -2, -1)).toEqual(['c', 'b']);
    expect(await kv.lrange('l', 5, 10)).toEqual([]);
    expect(await kv.llen('none')).toBe(0);
  });

  it('lpush of more values than cap keeps only the newest cap', async () => {
    const values = Array.from({ length: 2500 }, (_, i) => `v${i}`);
    await kv.apply([{ op: 'lpush', key: 'l', values, cap: 3 }]);
    expect(await kv.lrange('l', 0, -1)).toEqual(['v2499', 'v2498', 'v2497']);
  });

  // The ring's key carries a hash tag: its blobs and byte total (`{ring}:<id>`, `{ring}:bytes`) must share
  // its Redis Cluster slot, and so must the keys of a batch that is to be all or nothing with it.
  describe('ringPush (byte- and count-bounded ring of blobs)', () => {
    const push = (
      id: string,
      blob: string,
      o: { maxBytes?: number; maxItems?: number; ttlMs?: number } = {},
    ) =>
      ({
        op: 'ringPush',
        key: '{ring}',
        id,
        blob,
        meta: `m-${id}`,
        maxBytes: o.maxBytes ?? 1_000_000,
        maxItems: o.maxItems ?? 1000,
        ttlMs: o.ttlMs ?? 60_000,
      }) as const;
    const ids = async () => (await kv.lrange('{ring}', 0, -1)).map((e) => e.split('\t')[1]);

    it('keeps blobs newest first with their entries and the byte total', async () => {
      await kv.apply([push('a', 'x'.repeat(10)), push('b', 'é'.repeat(5))]); // 10 bytes in UTF-8
      expect(await kv.lrange('{ring}', 0, -1)).toEqual(['13\tb\tm-b', '13\ta\tm-a']);
      expect(await kv.mget(['{ring}:a', '{ring}:b'])).toEqual(['x'.repeat(10), 'é'.repeat(5)]);
      expect(await kv.get('{ring}:bytes')).toBe('26');
    });

    it('drops the oldest blobs past maxBytes or maxItems, always keeping the newest', async () => {
      for (const id of ['a', 'b', 'c', 'd']) await kv.apply([push(id, 'y'.repeat(97), { maxBytes: 250 })]);
      // Each entry is 97 + 3 bytes: two fit in 250.
      expect(await ids()).toEqual(['d', 'c']);
      expect(await kv.mget(['{ring}:a', '{ring}:b', '{ring}:c'])).toEqual([null, null, 'y'.repeat(97)]);
      expect(await kv.get('{ring}:bytes')).toBe('200');
      await kv.apply([push('e', 'z', { maxItems: 1 }), push('big', 'w'.repeat(500), { maxBytes: 250 })]);
      expect(await ids()).toEqual(['big']);
      expect(await kv.get('{ring}:bytes')).toBe('505');
      expect((await kv.keys('')).sort()).toEqual(['{ring}', '{ring}:big', '{ring}:bytes']);
    });

    it('expires blobs, the ring and its total after ttlMs', async () => {
      await kv.apply([push('a', 'old', { ttlMs: 200 })]);
      await sleep(300);
      expect(await kv.keys('')).toEqual([]);
      await kv.apply([push('b', 'new', { ttlMs: 60_000 })]);
      expect(await kv.get('{ring}:bytes')).toBe('6');
    });

    it('is all or nothing with the rest of the batch and honours onceKey', async () => {
      await kv.apply([{ op: 'set', key: 's{ring}', value: 'str' }]);
      await expect(
        kv.apply([push('a', 'blob'), { op: 'hset', key: 's{ring}', fields: { f: '1' } }], { onceKey: 'k' }),
      ).rejects.toThrow(/WRONGTYPE/);
      expect(await kv.keys('{ring}')).toEqual([]);
      expect(await kv.apply([push('a', 'blob')], { onceKey: 'k' })).toBe(true);
      expect(await kv.apply([push('a2', 'blob')], { onceKey: 'k' })).toBe(false);
      expect(await ids()).toEqual(['a']);
    });

    it('keeps each blob beside hash groups, packed or flat, and long ones byte for byte', async () => {
      const long = `${'line\twith "quotes" \\ and ü ✓\n'.repeat(400)}end`;
      for (const [i, odd] of ['plain', 'lone \ud800 surrogate'].entries()) {
        await kv.apply([
          { op: 'hincrby', key: `h{ring}`, field: odd, by: 2 },
          push(`a${i}`, long),
          { op: 'hsetnx', key: `h{ring}`, field: 'f', value: odd },
          push(`b${i}`, 'short'),
        ]);
      }
      expect(await kv.mget(['{ring}:a0', '{ring}:b0', '{ring}:a1', '{ring}:b1'])).toEqual([
        long,
        'short',
        long,
        'short',
      ]);
      // (The lone surrogate is U+FFFD in Redis, as every string Node writes to it: apply-equivalence.test.ts.)
      expect(await kv.hmget('h{ring}', ['plain', 'f'])).toEqual(['2', 'plain']);
    });

    it('rejects a bad id or bound before writing', async () => {
      await expect(kv.apply([{ ...push('a b', 'x') }])).rejects.toThrow(/ringPush id/);
      await expect(kv.apply([{ ...push('a', 'x'), maxBytes: 0 }])).rejects.toThrow(/ringPush/);
      expect(await kv.keys('')).toEqual([]);
    });
  });

  it('setIfAbsent is SET NX PX; delIfEquals releases only its own value', async () => {
    expect(await kv.setIfAbsent('lock', 'me', 5_000)).toBe(true);
    expect(await kv.setIfAbsent('lock', 'you', 5_000)).toBe(false);
    expect(await kv.delIfEquals('lock', 'you')).toBe(false);
    expect(await kv.get('lock')).toBe('me');
    expect(await kv.delIfEquals('lock', 'me')).toBe(true);
    expect(await kv.get('lock')).toBeNull();
    expect(await kv.setIfAbsent('short', 'x', 50)).toBe(true);
    await sleep(100);
    expect(await kv.setIfAbsent('short', 'y', 5_000)).toBe(true);
  });

  it('del removes any type', async () => {
    await kv.apply([
      { op: 'set', key: 's', value: '1' },
      { op: 'lpush', key: 'l', values: ['x'], cap: 3 },
    ]);
    await kv.apply([
      { op: 'del', key: 's' },
      { op: 'del', key: 'l' },
      { op: 'del', key: 'never' },
    ]);
    expect(await kv.keys('')).toEqual([]);
  });

  it('keys(prefix) lists keys relative to the namespace', async () => {
    await kv.apply([
      { op: 'set', key: 'tpl:1', value: 'a' },
      { op: 'set', key: 'tpl:2', value: 'b' },
      { op: 'set', key: 'other', value: 'c' },
      { op: 'set', key: 'tpl*[x]', value: 'glob chars are literal' },
    ]);
    expect((await kv.keys('tpl:')).sort()).toEqual(['tpl:1', 'tpl:2']);
    expect((await kv.keys('tpl*')).sort()).toEqual(['tpl*[x]']);
    expect((await kv.keys('')).length).toBe(4);
  });

  it('apply is all or nothing: a wrong-type op fails the batch (keys of one slot) before anything is written', async () => {
    await kv.apply([{ op: 'set', key: '{b}s', value: 'str' }]);
    await expect(
      kv.apply(
        [
          { op: 'hincrby', key: '{b}h', field: 'n', by: 1 },
          { op: 'lpush', key: '{b}l', values: ['x'], cap: 5 },
          { op: 'hset', key: '{b}s', fields: { a: '1' } },
        ],
        { onceKey: 'batch-1' },
      ),
    ).rejects.toThrow(/WRONGTYPE/);
    expect(await kv.hgetall('{b}h')).toEqual({});
    expect(await kv.llen('{b}l')).toBe(0);
    expect(await kv.get('{b}s')).toBe('str');
    // The failed batch did not burn its idempotency key: a corrected retry applies.
    expect(await kv.apply([{ op: 'hincrby', key: '{b}h', field: 'n', by: 1 }], { onceKey: 'batch-1' })).toBe(
      true,
    );
    expect(await kv.hgetall('{b}h')).toEqual({ n: '1' });
  });

  it('apply is all or nothing: a non-numeric field fails hincrby/hincrbyfloat without partial writes', async () => {
    await kv.apply([{ op: 'hset', key: 'h', fields: { word: 'abc', n: '1' } }]);
    await expect(
      kv.apply([
        { op: 'hincrby', key: 'h', field: 'n', by: 1 },
        { op: 'hincrby', key: 'h', field: 'word', by: 1 },
      ]),
    ).rejects.toThrow(/not an integer/);
    await expect(
      kv.apply([
        { op: 'hincrby', key: 'h', field: 'n', by: 1 },
        { op: 'hincrbyfloat', key: 'h', field: 'word', by: 1 },
      ]),
    ).rejects.toThrow(/not a float/);
    expect(await kv.hgetall('h')).toEqual({ word: 'abc', n: '1' });
    // Ops see the effects of earlier ops in the same batch.
    await kv.apply([
      { op: 'del', key: 'h' },
      { op: 'hincrby', key: 'h', field: 'word', by: 2 },
    ]);
    expect(await kv.hgetall('h')).toEqual({ word: '2' });
  });

  it('rejects malformed ops before touching the store', async () => {
    await expect(kv.apply([{ op: 'lpush', key: 'l', values: ['x'], cap: 0 }])).rejects.toThrow(TypeError);
    await expect(kv.apply([{ op: 'hincrby', key: 'h', field: 'f', by: 1.5 }])).rejects.toThrow(TypeError);
    expect(await kv.keys('')).toEqual([]);
  });

  it('onceKey: the same batch applied twice writes once', async () => {
    const batch = [
      { op: 'hincrby' as const, key: 'c', field: 'lines', by: 10 },
      { op: 'lpush' as const, key: 'recent', values: ['e1'], cap: 10 },
    ];
    expect(await kv.apply(batch, { onceKey: 'msg-1' })).toBe(true);
    expect(await kv.apply(batch, { onceKey: 'msg-1' })).toBe(false);
    expect(await kv.apply(batch, { onceKey: 'msg-2' })).toBe(true);
    expect(await kv.hgetall('c')).toEqual({ lines: '20' });
    expect(await kv.llen('recent')).toBe(2);
  });

  it('onceKey is remembered for onceTtlMs, then forgotten', async () => {
    const op = { op: 'hincrby' as const, key: 'c', field: 'n', by: 1 };
    expect(await kv.apply([op], { onceKey: 'k', onceTtlMs: 250 })).toBe(true);
    expect(await kv.apply([op], { onceKey: 'k', onceTtlMs: 250 })).toBe(false);
    await sleep(350);
    expect(await kv.apply([op], { onceKey: 'k', onceTtlMs: 250 })).toBe(true);
    expect(await kv.hgetall('c')).toEqual({ n: '2' });
  });

  it('onceKey under concurrency: two clients racing the same 25 batches apply each exactly once', async () => {
    const other = await open();
    const attempts: Promise<boolean>[] = [];
    for (let i = 0; i < 25; i++) {
      for (const client of [kv, other, kv, other]) {
        attempts.push(
          client.apply(
            [
              { op: 'hincrby', key: 'total', field: 'n', by: 1 },
              { op: 'lpush', key: 'log', values: [`b${i}`], cap: 1000 },
            ],
            { onceKey: `batch-${i}` },
          ),
        );
      }
    }
    const results = await Promise.all(attempts);
    expect(results.filter(Boolean)).toHaveLength(25);
    expect(await other.hgetall('total')).toEqual({ n: '25' });
    expect(new Set(await kv.lrange('log', 0, -1)).size).toBe(25);
  });

  it('info reports its kind and memory in use', async () => {
    await kv.apply([{ op: 'set', key: 'x', value: 'y'.repeat(1000) }]);
    const info = await kv.info();
    expect(info.kind).toBe(target.name === 'embedded' ? 'embedded' : 'redis');
    expect(info.usedBytes).toBeGreaterThan(0);
    await kv.ping();
  });
});

// The cluster KV's own rules on a real Redis Cluster (TEST_REDIS_CLUSTER_NODES; .ci/run starts one with
// test/support/redis-cluster.sh): slots computed as Redis does, batches over several slots applied once per
// slot, scans over every master. The KV contract itself runs against the cluster in kv.contract.test.ts.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisClusterNodes, requireRedisCluster, uniqueName } from '../../test/services.js';
import { silentLogger } from '../log.js';
import { clearKv } from './clear.js';
import { parseClusterNodes } from './cluster-nodes.js';
import { createRedisClusterKv } from './redis-cluster.js';
import { groupBySlot, hashTagOf, prefixSlotsSafely, slotOf, tagForSlot } from './slots.js';
import type { KV, WriteOp } from './types.js';

const up = await requireRedisCluster();

describe('slots (pure)', () => {
  it('hash tags and slots as Redis computes them', () => {
    expect(hashTagOf('a{user1000}b')).toBe('user1000');
    expect(hashTagOf('a{}b{c}')).toBe('a{}b{c}');
    expect(hashTagOf('a}b{c}')).toBe('c');
    // Values from CLUSTER KEYSLOT.
    expect(slotOf('foo')).toBe(12182);
    expect(slotOf('a{user1000}b')).toBe(3443);
    expect(slotOf('héllo')).toBe(11061);
    for (const s of [0, 1, 777, 16383]) expect(slotOf(`x{${tagForSlot(s)}}y`)).toBe(s);
    expect([...groupBySlot(['{a}1', '{b}1', '{a}2']).values()]).toEqual([[0, 2], [1]]);
  });

  it('a prefix may hold no brace or one whole hash tag', () => {
    expect(prefixSlotsSafely('logfaas:')).toBe(true);
    expect(prefixSlotsSafely('{logfaas}:')).toBe(true);
    expect(prefixSlotsSafely('log{faas:')).toBe(false);
    expect(prefixSlotsSafely('log}faas:')).toBe(false);
    expect(prefixSlotsSafely('a{}:')).toBe(false);
  });

  it('REDIS_CLUSTER_NODES parses host:port lists and refuses anything else', () => {
    expect(parseClusterNodes('10.0.0.1:7000, redis-b:7001,[::1]:7002')).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(() => parseClusterNodes('10.0.0.1')).toThrow(/not host:port/);
    expect(() => parseClusterNodes('h:0')).toThrow(/not host:port/);
  });
});

describe.skipIf(!up)('redis cluster KV', () => {
  const opened: KV[] = [];
  const open = async (prefix: string) => {
    const kv = await createRedisClusterKv({
      nodes: parseClusterNodes(redisClusterNodes()),
      prefix,
      logger: silentLogger,
    });
    opened.push(kv);
    return kv;
  };
  afterEach(async () => {
    for (const kv of opened.splice(0)) {
      await clearKv(kv);
      expect(await kv.keys('')).toEqual([]);
      await kv.close();
    }
  });

  /** Ten sources' worth of keys: spread over the three masters. */
  const batch = (): WriteOp[] =>
    Array.from({ length: 10 }, (_, i) => [
      { op: 'hincrby' as const, key: `stats:{src${i}}:h`, field: 'n', by: 1 },
      { op: 'lpush' as const, key: `recent:{src${i}}`, values: ['x'], cap: 5 },
    ]).flat();

  it('a batch over several slots applies once per slot; a redelivery applies only the parts not yet applied', async () => {
    const kv = await open(`${uniqueName('cluster')}:`);
    const ops = batch();
    // As if the first delivery died after the parts of src1..src3 were applied (src0's part, the first
    // op's, commits the batch: it goes last).
    const early = ops.filter((op) => /src[1-3]\b/.test(op.key));
    expect(await kv.apply(early, { onceKey: 'msg-1' })).toBe(true);
    expect(await kv.apply(ops, { onceKey: 'msg-1' })).toBe(true);
    expect(await kv.apply(ops, { onceKey: 'msg-1' })).toBe(false);
    const counts = await kv.hgetallMany(ops.filter((op) => op.op === 'hincrby').map((op) => op.key));
    expect(counts).toEqual(Array.from({ length: 10 }, () => ({ n: '1' })));
    for (let i = 0; i < 10; i++) expect(await kv.llen(`recent:{src${i}}`)).toBe(1);
    // One idempotency key per slot, each in the slot of the writes it guards.
    const once = await kv.keys('_once:');
    expect(once.length).toBe(new Set(ops.map((op) => slotOf(op.key))).size);
  });

  it('keys, mget and clear cover every master; the namespace may be one hash tag', async () => {
    const plain = await open(`${uniqueName('cluster')}:`);
    await plain.apply(batch());
    const keys = await plain.keys('');
    expect(keys.length).toBe(20);
    const masters = new Set<string>();
    for (const [host, port] of clusterSlots()) if (keys.some((k) => owns(host, port, k))) masters.add(port);
    expect(masters.size).toBeGreaterThan(1);
    expect(await plain.mget(['recent:{src1}', 'nope', 'recent:{src7}'])).toEqual([null, null, null]);
    await plain.apply([
      { op: 'set', key: 'a', value: '1' },
      { op: 'set', key: 'b', value: '2' },
    ]);
    expect(await plain.mget(['a', 'nope', 'b'])).toEqual(['1', null, '2']);

    const pinned = await open(`{${uniqueName('pinned')}}:`);
    await pinned.apply(batch(), { onceKey: 'one' });
    expect(await pinned.apply(batch(), { onceKey: 'one' })).toBe(false);
    expect(new Set((await pinned.keys('')).map((k) => slotOf(`{x}${k}`))).size).toBe(1);
    expect((await pinned.keys('_once:')).length).toBe(1);
  });

  it('with wait, a batch resolves once its replica has it, and rejects when fewer replicas answer', async () => {
    const ns = uniqueName('cluster');
    const nodes = parseClusterNodes(redisClusterNodes());
    const one = await createRedisClusterKv({
      nodes,
      prefix: `${ns}:`,
      logger: silentLogger,
      wait: { replicas: 1, timeoutMs: 2_000 },
    });
    opened.push(one);
    expect(await one.apply(batch(), { onceKey: 'w' })).toBe(true);
    expect(await one.apply(batch(), { onceKey: 'w' })).toBe(false);
    // Every master has one replica: asking for two times out and rejects (the writes themselves happened).
    const two = await createRedisClusterKv({
      nodes,
      prefix: `${ns}:`,
      logger: silentLogger,
      wait: { replicas: 2, timeoutMs: 100 },
    });
    opened.push(two);
    await expect(two.apply([{ op: 'set', key: 'x', value: '1' }])).rejects.toThrow(/reached 1 of 2 replicas/);
  });

  it('refuses a ring without a hash tag (its blobs and total would land in other slots) before writing', async () => {
    const kv = await open(`${uniqueName('cluster')}:`);
    const push = (key: string): WriteOp => ({
      op: 'ringPush',
      key,
      id: 'a',
      blob: 'x',
      meta: 'm',
      maxBytes: 100,
      maxItems: 10,
      ttlMs: 60_000,
    });
    await expect(kv.apply([{ op: 'set', key: 's', value: '1' }, push('search:ring')])).rejects.toThrow(
      /hash tag/,
    );
    expect(await kv.keys('')).toEqual([]);
    await kv.apply([push('search:{ring}')]);
    expect(await kv.mget(['search:{ring}:a', 'search:{ring}:bytes'])).toEqual(['x', '2']);
  });

  it('refuses a prefix whose brace would hash an arbitrary piece of each key', async () => {
    await expect(open('bad{prefix:')).rejects.toThrow(/hash tag/);
  });
});

let slotTable: [string, string, number, number][] = [];
function clusterSlots(): [string, string][] {
  return slotTable.map(([h, p]) => [h, p]);
}
function owns(host: string, port: string, key: string): boolean {
  return slotTable.some(
    ([h, p, lo, hi]) => h === host && p === port && slotOf(key) >= lo && slotOf(key) <= hi,
  );
}
if (up) {
  const [first] = parseClusterNodes(redisClusterNodes());
  const r = new Redis(first.port, first.host);
  const slots = (await r.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
  slotTable = slots.map(([lo, hi, [h, p]]) => [h, String(p), lo, hi]);
  r.disconnect();
}

import { afterEach, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../core/event.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV, WriteOp } from '../../core/kv/types.js';
import { silentLogger } from '../../core/log.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import { seededRandom as rng } from '../../core/random.js';
import { clearAndClose } from '../../test/services.js';
import { kvTargets } from '../../test/support/kv-targets.js';
import { DEFAULT_DETECT } from './config.js';
import { createDetector, type Detector } from './detector.js';
import {
  NORMS_EPOCH_FIELD,
  NORMS_VERSION_FIELD,
  type Norms,
  NormsCache,
  type NormsStamp,
} from './norms-cache.js';
import { putNormsField } from './norms-fields.js';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
const PATHS = ['/api/users', '/api/cart', '/api/orders/42', '/health', '/api/search'];

/** Batches of one source's web lines: a few templates and endpoints, then errors and slow requests. */
function batches(n: number, size: number, seed = 7): LogEvent[][] {
  const r = rng(seed);
  const out: LogEvent[][] = [];
  for (let b = 0; b < n; b++) {
    const batch: LogEvent[] = [];
    for (let i = 0; i < size; i++) {
      const at = (b * size + i) * 40;
      const bad = b >= n - 3 && r() < 0.3;
      const path = PATHS[Math.floor(r() * PATHS.length)];
      const tpl = bad ? 'upstream timed out' : r() < 0.2 ? 'cache miss for <*>' : 'request completed';
      batch.push({
        v: 1,
        timestamp: new Date(T0 + at).toISOString(),
        source: 'web',
        level: bad ? 'error' : 'info',
        message: tpl,
        format: 'json',
        templateId: `t-${tpl.length}`,
        template: tpl,
        params: [],
        raw: '',
        http: {
          method: 'GET',
          path,
          status: bad ? 504 : 200,
          latency_ms: bad ? 3000 : 20 + Math.floor(r() * 60),
        },
      });
    }
    out.push(batch);
  }
  return out;
}

const times = (b: LogEvent[]) => b.map((e) => Date.parse(e.timestamp));
const cfg = { ...DEFAULT_DETECT, minTraining: 200 };

describe('NormsCache', () => {
  const norms = () => ({ stats: new Map([['t:a', 3]]), packed: new Map([['c:a', 'x']]) });
  const key = MODEL_KEYS.norms('s');
  // An apply sent now, committed on its reply; a read sent now.
  const commit = (c: NormsCache, ...a: [string, Norms, NormsStamp, WriteOp[]]) =>
    c.commit(...a, c.nextApply());
  const lookup = (c: NormsCache, source: string, meta: Record<string, string>) =>
    c.lookup(source, meta, c.sent);

  it('serves a copy only while the meta carries the stamp the last apply left', () => {
    const c = new NormsCache();
    commit(c, 's', norms(), { version: 4, epoch: 'e1' }, []);
    expect(lookup(c, 's', { [NORMS_VERSION_FIELD]: '5', [NORMS_EPOCH_FIELD]: 'e1' })?.stats.get('t:a')).toBe(
      3,
    );
    // Another replica wrote (version 6), or the keys were deleted and written again (a new epoch).
    expect(lookup(c, 's', { [NORMS_VERSION_FIELD]: '6', [NORMS_EPOCH_FIELD]: 'e1' })).toBeUndefined();
    expect(c.wants('s')).toBe(true);
    commit(c, 's', norms(), { version: 4, epoch: 'e1' }, []);
    expect(lookup(c, 's', { [NORMS_VERSION_FIELD]: '5', [NORMS_EPOCH_FIELD]: 'e2' })).toBeUndefined();
    // A meta without an epoch yet: the one this replica's apply set.
    commit(c, 's', norms(), { version: 0, epoch: undefined }, []);
    expect(lookup(c, 's', { [NORMS_VERSION_FIELD]: '1', [NORMS_EPOCH_FIELD]: c.epoch })).toBeDefined();
  });

  it('folds the apply writes in as a read would parse them, and keeps nothing it cannot mirror', () => {
    const c = new NormsCache();
    const stamp = { version: 1, epoch: 'e' };
    const meta = { [NORMS_VERSION_FIELD]: '2', [NORMS_EPOCH_FIELD]: 'e' };
    commit(c, 's', norms(), stamp, [
      { op: 'hincrby', key, field: 't:a', by: 2 },
      { op: 'hincrby', key, field: 'e:/x', by: 1 },
      { op: 'hset', key, fields: { 'mm:a': '1.25', 'c:a': 'y' } },
      { op: 'hsetnx', key, field: 't:a', value: '99' },
      { op: 'hsetnx', key, field: 'ft:a', value: '1700' },
      { op: 'hincrby', key: MODEL_KEYS.norms('other'), field: 't:a', by: 100 },
    ]);
    const got = lookup(c, 's', meta)!;
    expect(Object.fromEntries(got.stats)).toEqual({ 't:a': 5, 'e:/x': 1, 'mm:a': 1.25, 'ft:a': 1700 });
    expect(Object.fromEntries(got.packed)).toEqual({ 'c:a': 'y' });
    commit(c, 's', norms(), stamp, [{ op: 'hset', key, fields: { 'mm:a': 'NaN' } }]);
    expect(lookup(c, 's', meta)).toBeUndefined();
    commit(c, 's', norms(), stamp, [{ op: 'del', key }]);
    expect(lookup(c, 's', meta)).toBeUndefined();
  });

  it("serves a read sent before the replica's later applies the copy they left", () => {
    const c = new NormsCache();
    const meta = (v: number) => ({ [NORMS_VERSION_FIELD]: String(v), [NORMS_EPOCH_FIELD]: 'e' });
    commit(c, 's', norms(), { version: 0, epoch: 'e' }, []);
    const readSeq = c.sent; // a read sent now finds version 1
    const seq = c.nextApply(); // an apply sent after it lands (version 2) and commits before the read is looked at
    c.commit('s', norms(), { version: 1, epoch: 'e' }, [{ op: 'hincrby', key, field: 't:a', by: 4 }], seq);
    expect(c.lookup('s', meta(1), readSeq)?.stats.get('t:a')).toBe(7);
    expect(c.lookup('s', meta(2), c.sent)?.stats.get('t:a')).toBe(7);
    // A read sent after that apply but finding version 1: the keys went and were written again.
    expect(c.lookup('s', meta(1), c.sent)).toBeUndefined();
    // Replies committed out of order: not kept.
    commit(c, 's', norms(), { version: 5, epoch: 'e' }, []);
    const early = c.nextApply();
    commit(c, 's', norms(), { version: 6, epoch: 'e' }, []);
    c.commit('s', norms(), { version: 6, epoch: 'e' }, [], early);
    expect(c.wants('s')).toBe(true);
  });

  it('evicts the least recently used sources past its bound on fields', () => {
    const c = new NormsCache(5);
    for (const s of ['a', 'b', 'c']) commit(c, s, norms(), { version: 0, epoch: 'e' }, []);
    // 2 fields each: 'a' went when 'c' came.
    const kept = (...ss: string[]) => ss.map((x) => !c.wants(x));
    expect(kept('a', 'b', 'c')).toEqual([false, true, true]);
    lookup(c, 'b', { [NORMS_VERSION_FIELD]: '1', [NORMS_EPOCH_FIELD]: 'e' });
    commit(c, 'd', norms(), { version: 0, epoch: 'e' }, []);
    expect(kept('b', 'c', 'd')).toEqual([true, false, true]);
  });
});

const kvs: KV[] = [];
afterEach(async () => {
  await clearAndClose(kvs);
});

const targets = await kvTargets('norms-cache');

describe.each(targets)('a replica keeping copies of norms scores as one that reads them: $name', (target) => {
  if (!target.up) return void it.skip('service not reachable', () => {});
  const open = async () => {
    const kv = await target.open();
    kvs.push(kv);
    return kv;
  };
  /** Runs the batches, each by the detector `pick` names, and returns every batch's anomalies and the norms left. */
  async function run(
    kv: KV,
    stream: LogEvent[][],
    pick: (i: number) => Detector,
    between?: (i: number) => Promise<void>,
  ) {
    const found: string[][] = [];
    for (let i = 0; i < stream.length; i++) {
      await between?.(i);
      const r = await pick(i).process(stream[i], times(stream[i]), T0 + 3_600_000, `b${i}`);
      found.push(r.anomalies.map((a) => `${a.event.timestamp} ${a.reasons.join(';')}`));
    }
    return { found, norms: await kv.hgetall(MODEL_KEYS.norms('web')) };
  }

  it('alone, or taking turns with another replica (every copy then stale)', async () => {
    const stream = batches(14, 150);
    const kvA = await open();
    const alone = detector(kvA);
    const a = await run(kvA, stream, () => alone);
    const kvB = await open();
    const pair = [detector(kvB), detector(kvB)];
    const b = await run(kvB, stream, (i) => pair[Math.floor(i / 3) % 2]);
    expect(a.found.flat().length).toBeGreaterThan(0);
    expect(b).toEqual(a);
    // A redelivered batch writes nothing and leaves the copy standing.
    const again = await alone.process(stream[13], times(stream[13]), T0 + 3_600_000, 'b13');
    expect(again.applied).toBe(false);
    expect(await kvA.hgetall(MODEL_KEYS.norms('web'))).toEqual(a.norms);
  });

  it('after the keys are deleted and written again up to the same count (a new epoch)', async () => {
    const stream = batches(12, 150, 11);
    const wipe = async (kv: KV) => {
      await kv.apply([
        { op: 'del', key: MODEL_KEYS.norms('web') },
        { op: 'del', key: MODEL_KEYS.meta('web') },
      ]);
    };
    // Replica 1 writes batches 0-3, the keys go, replica 2 writes 4-7 (the count is back where replica
    // 1 left it), then replica 1 goes on: its copy is from before the deletion and must not be used.
    const kvA = await open();
    const r1 = detector(kvA);
    const r2 = detector(kvA);
    const a = await run(
      kvA,
      stream,
      (i) => (i >= 4 && i < 8 ? r2 : r1),
      async (i) => (i === 4 ? wipe(kvA) : undefined),
    );
    const kvB = await open();
    let fresh = detector(kvB);
    const b = await run(
      kvB,
      stream,
      () => fresh,
      async (i) => {
        if (i === 4) await wipe(kvB);
        // A replica with no copies at all for the batches after the deletion.
        if (i === 4 || i === 8) fresh = detector(kvB);
      },
    );
    expect(a).toEqual(b);
  });
});

describe.each(targets)('a copy kept while batches of the replica are in flight at once: $name', (target) => {
  it.skipIf(!target.up)('is what a read of the stored norms gives', async () => {
    const kv = await target.open();
    kvs.push(kv);
    const cache = new NormsCache();
    const d = createDetector({ kv, config: cfg, logger: silentLogger, norms: cache });
    const stream = batches(16, 120, 5);
    await d.process(stream[0], times(stream[0]), T0 + 3_600_000, 'w0');
    // Waves of three batches at once, then a batch alone: means, counts and baselines all written.
    for (let w = 0; w < 5; w++) {
      const wave = stream.slice(1 + 3 * w, 4 + 3 * w);
      await Promise.all(wave.map((b, j) => d.process(b, times(b), T0 + 3_600_000, `w${w}-${j}`)));
      const meta = await kv.hgetall(MODEL_KEYS.meta('web'));
      const copy = cache.lookup('web', meta, cache.sent);
      expect(copy, `wave ${w}`).toBeDefined();
      const read: Norms = { stats: new Map(), packed: new Map() };
      for (const [f, v] of Object.entries(await kv.hgetall(MODEL_KEYS.norms('web'))))
        expect(putNormsField(read, f, v)).toBe(true);
      expect(Object.fromEntries(copy?.stats ?? [])).toEqual(Object.fromEntries(read.stats));
      expect(Object.fromEntries(copy?.packed ?? [])).toEqual(Object.fromEntries(read.packed));
    }
    // Another replica's write between: the copy is not used.
    const other = detector(kv);
    await other.process(stream[0], times(stream[0]), T0 + 3_600_000, 'other');
    expect(cache.lookup('web', await kv.hgetall(MODEL_KEYS.meta('web')), cache.sent)).toBeUndefined();
  });
});

describe('when a replica reads the norms', () => {
  /** The embedded KV, noting every key read through hgetallMany. */
  async function watched() {
    const kv = await createMemoryKv();
    kvs.push(kv);
    const reads: string[][] = [];
    const inner = kv.hgetallMany.bind(kv);
    kv.hgetallMany = (keys: string[]) => {
      reads.push(keys);
      return inner(keys);
    };
    const normsReads = () => reads.filter((ks) => ks.includes(MODEL_KEYS.norms('web'))).length;
    // The second round trip of a stale copy: the meta and the norms alone.
    const secondTrips = () =>
      reads.filter((ks) => ks.length === 2 && ks[1] === MODEL_KEYS.norms('web')).length;
    return { kv, normsReads, secondTrips };
  }
  const at = T0 + 3_600_000;

  it('once, then not while its own batches are the only writes', async () => {
    const { kv, normsReads } = await watched();
    const d = detector(kv);
    const stream = batches(4, 100);
    for (const [i, b] of stream.entries()) await d.process(b, times(b), at, `b${i}`);
    expect(normsReads()).toBe(1);
  });

  it('with the rest, in one round trip, while another replica writes the source too; not once it stops', async () => {
    const { kv, normsReads, secondTrips } = await watched();
    const [a, b] = [detector(kv), detector(kv)];
    const stream = batches(12, 100);
    for (const [i, batch] of stream.slice(0, 8).entries())
      await (i % 2 ? b : a).process(batch, times(batch), at, `b${i}`);
    // Each replica's first stale copy costs one second trip; after that they read the norms up front:
    // one read of them per batch.
    expect(secondTrips()).toBe(2);
    expect(normsReads()).toBe(8);
    for (const [i, batch] of stream.slice(8).entries()) await a.process(batch, times(batch), at, `c${i}`);
    // a reads them up front twice more (the first still finds b's last write), then uses its copy.
    expect(secondTrips()).toBe(2);
    expect(normsReads()).toBe(10);
  });

  it('not again after batches of its own were in flight at once', async () => {
    const { kv, normsReads } = await watched();
    const d = detector(kv);
    const [b0, b1, b2, b3] = batches(4, 100);
    await d.process(b0, times(b0), at, 'b0');
    const before = normsReads();
    await Promise.all([d.process(b1, times(b1), at, 'b1'), d.process(b2, times(b2), at, 'b2')]);
    await d.process(b3, times(b3), at, 'b3');
    expect(normsReads()).toBe(before);
  });
});

function detector(kv: KV): Detector {
  return createDetector({ kv, config: cfg, logger: silentLogger });
}

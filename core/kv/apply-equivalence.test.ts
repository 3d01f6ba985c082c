// The Redis apply script folds a key's increments into one HSET; this checks it against the embedded
// store, op by op, on random batches that interleave every op kind on a few shared keys and fields.
import { describe, expect, it } from 'vitest';
import { redisUrl, requireService, tcpReachable, uniqueName } from '../../test/services.js';
import { silentLogger } from '../log.js';
import { seededRandom } from '../random.js';
import { createMemoryKv } from './memory.js';
import { createRedisKv } from './redis.js';
import type { KV, WriteOp } from './types.js';

const redisUp = await requireService('redis', () => tcpReachable(redisUrl(), 6379));

const rng = seededRandom;

/**
 * A random batch over hashes h0..h2 (integer fields a..d, float fields f, g), a list and a string key, with
 * capped writes (integer fields a..e, k, o; float fields f, g, m).
 */
function randomBatch(r: () => number, n: number): WriteOp[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const hash = () => pick(['h0', 'h1', 'h2']);
  const field = () => pick(['a', 'b', 'c', 'd']);
  const ops: WriteOp[] = [];
  for (let i = 0; i < n; i++) {
    // Capped writes (small caps, so batches hit them), among every other op on the same keys.
    if (r() < 0.25) {
      const y = r();
      const maxFields = pick([1, 3, 5]);
      if (y < 0.5)
        ops.push({
          op: 'hincrbyCapped',
          key: hash(),
          field: pick(['a', 'b', 'c', 'd', 'e', 'k']),
          by: Math.floor(r() * 7) - 2,
          maxFields,
          otherField: pick(['a', 'o']),
        });
      else if (y < 0.7)
        ops.push({
          op: 'hincrbyCapped',
          key: hash(),
          field: pick(['f', 'g', 'm']),
          by: pick([0.1, 0.2, -1.5, 1e-7, 7 / 3]),
          float: true,
          maxFields,
          otherField: 'g',
        });
      else
        ops.push({
          op: 'hsetCapped',
          key: hash(),
          field: field(),
          value: pick(['1', '7', 'x']),
          nx: r() < 0.5,
          maxFields,
          otherField: 'c',
          ...(r() < 0.5 ? { otherValue: '9' } : {}),
        });
      continue;
    }
    const x = r();
    if (x < 0.45) ops.push({ op: 'hincrby', key: hash(), field: field(), by: Math.floor(r() * 7) - 2 });
    else if (x < 0.6) ops.push({ op: 'hsetnx', key: hash(), field: field(), value: pick(['1', '7', 'x']) });
    // Float fields of their own: a float that lands on a whole number is a known, conservative difference
    // (the script's dry run refuses a later hincrby on it; Redis itself and the embedded store accept it).
    else if (x < 0.68)
      ops.push({
        op: 'hincrbyfloat',
        key: hash(),
        field: pick(['f', 'g']),
        by: pick([0.1, 0.2, -1.5, 1e-7, 7 / 3]),
      });
    else if (x < 0.75) ops.push({ op: 'hset', key: hash(), fields: { [field()]: pick(['2', '5', 'y']) } });
    else if (x < 0.8) ops.push({ op: 'del', key: hash() });
    else if (x < 0.86) ops.push({ op: 'expire', key: hash(), ttlMs: 60_000 });
    else if (x < 0.93) ops.push({ op: 'lpush', key: 'l', values: [String(i), `v${i}`], cap: 5 });
    else ops.push({ op: 'set', key: 's', value: String(i) });
  }
  return ops;
}

async function snapshot(kv: KV): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const k of ['h0', 'h1', 'h2']) {
    const h = await kv.hgetall(k);
    // Float fields as numbers: native HINCRBYFLOAT prints 17 digits, the embedded store (and the script's
    // grouped path) 15.
    for (const f of ['f', 'g', 'm'])
      if (h[f] !== undefined) h[f] = String(Number(Number(h[f]).toPrecision(12)));
    out[k] = h;
  }
  out.l = await kv.lrange('l', 0, -1);
  out.s = await kv.get('s');
  return out;
}

describe.skipIf(!redisUp)('Redis apply script against the embedded store', () => {
  it('random batches leave the same state in both stores', async () => {
    const ns = uniqueName('kvequiv');
    const redis = await createRedisKv({ url: redisUrl(), prefix: `${ns}:`, logger: silentLogger });
    const memory = await createMemoryKv();
    try {
      const r = rng(7);
      let refused = 0;
      for (let b = 0; b < 200; b++) {
        const ops = randomBatch(r, 1 + Math.floor(r() * 40));
        const [m, x] = await Promise.allSettled([memory.apply(ops), redis.apply(ops)]);
        // Both apply, or both refuse the whole batch (a string hit by hash ops, say) with nothing written.
        expect(x.status, JSON.stringify(ops)).toBe(m.status);
        if (x.status === 'rejected') refused++;
        expect(await snapshot(redis), `batch ${b}: ${JSON.stringify(ops)}`).toEqual(await snapshot(memory));
      }
      expect(refused).toBeGreaterThan(5);
      expect(refused).toBeLessThan(150);
      // Big values go through Redis's own 64-bit HINCRBY.
      const big: WriteOp[] = [
        { op: 'del', key: 'h0' },
        { op: 'hincrby', key: 'h0', field: 'a', by: 2 ** 53 - 1 },
        { op: 'hincrby', key: 'h0', field: 'a', by: 2 ** 53 - 1 },
      ];
      await redis.apply(big);
      expect((await redis.hgetall('h0')).a).toBe(String(2n * (2n ** 53n - 1n)));
      // The same through capped writes (the script's grouped path replays them as HINCRBY), both landing
      // on the overflow field.
      const capped = (field: string): WriteOp => ({
        op: 'hincrbyCapped',
        key: 'h0',
        field,
        by: 2 ** 53 - 1,
        maxFields: 1,
        otherField: 'o',
      });
      await redis.apply([capped('x'), capped('y')]);
      expect(await redis.hgetall('h0')).toEqual({
        a: String(2n * (2n ** 53n - 1n)),
        o: String(2n * (2n ** 53n - 1n)),
      });
      // Grouped fields and values travel as one JSON argument: odd strings arrive as the same bytes. (The
      // second batch's escaped backslash before `ud800` sends it flat, see packGroups in redis.ts.)
      const odd = ['ü ✓ 😀', '"q" \\', 'nul\u0000byte', 'ctl\u0001\u001f\t\n', '\u007f</x>', '[', '1'];
      for (const strings of [odd, ['\\ud800', ...odd]]) {
        const grouped: WriteOp[] = strings.flatMap((x, i): WriteOp[] => [
          { op: 'hincrby', key: 'h1', field: `n${x}`, by: i + 1 },
          { op: 'hsetnx', key: 'h1', field: `x${x}`, value: x },
          { op: 'hset', key: 'h1', fields: { [`s${x}`]: x } },
          { op: 'hsetCapped', key: 'h1', field: `c${x}`, value: x, maxFields: 1000, otherField: 'o' },
        ]);
        for (const kv of [redis, memory]) {
          await kv.apply([{ op: 'del', key: 'h1' }]);
          await kv.apply(grouped);
        }
        expect(await redis.hgetall('h1')).toEqual(await memory.hgetall('h1'));
      }
      // A lone surrogate (flat arguments then): written as UTF-8 by Node, so read back as U+FFFD either way.
      await redis.apply([
        { op: 'hset', key: 'h2', fields: { lone: 'a\ud800b' } },
        { op: 'hincrby', key: 'h2', field: 'n\udc00', by: 1 },
      ]);
      expect(await redis.hgetall('h2')).toMatchObject({ lone: 'a\ufffdb', 'n\ufffd': '1' });
    } finally {
      const keys = await redis.keys('');
      if (keys.length) await redis.apply(keys.map((key) => ({ op: 'del' as const, key })));
      await redis.close();
      await memory.close();
    }
  });
});

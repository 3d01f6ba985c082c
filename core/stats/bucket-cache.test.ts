import { describe, expect, it } from 'vitest';
import { BucketCache, CLOSE_GRACE_MS } from './bucket-cache.js';

describe('BucketCache', () => {
  it('keeps closed buckets parsed and refetches open ones', async () => {
    const cache = new BucketCache();
    const asked: string[][] = [];
    const fetch = async (keys: string[]) => {
      asked.push(keys);
      return keys.map((k) => ({ n: k }));
    };
    const parse = (h: Record<string, string>) => ({ parsed: h.n });
    const now = 10 * 60_000;
    const buckets = [
      { key: 'closed', endMs: now - CLOSE_GRACE_MS - 1, parse },
      { key: 'grace', endMs: now - 1, parse },
      { key: 'open', endMs: now + 60_000, parse },
    ];
    expect(await cache.read(buckets, now, fetch)).toEqual([
      { parsed: 'closed' },
      { parsed: 'grace' },
      { parsed: 'open' },
    ]);
    await cache.read(buckets, now, fetch);
    expect(asked).toEqual([
      ['closed', 'grace', 'open'],
      ['grace', 'open'],
    ]);
  });

  it('memoizes by id, recomputing only ids it dropped', () => {
    const cache = new BucketCache();
    let made = 0;
    const make = () => ++made;
    expect(cache.memo('a', make)).toBe(1);
    expect(cache.memo('a', make)).toBe(1);
    for (const id of ['b', 'c', 'd', 'e', 'f']) cache.memo(id, make);
    expect(cache.memo('a', make)).toBe(1);
    cache.memo('g', make);
    expect(cache.memo('b', make)).toBe(8);
  });
});

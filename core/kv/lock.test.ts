import { describe, expect, it } from 'vitest';
import { acquireLock } from './lock.js';
import { createMemoryKv } from './memory.js';

describe('acquireLock', () => {
  it('one holder at a time; a waiter gets it once released; a stale holder cannot free the next one', async () => {
    const kv = await createMemoryKv();
    const a = await acquireLock(kv, 'l', { ttlMs: 10_000 });
    expect(a).toBeDefined();
    expect(await acquireLock(kv, 'l', { ttlMs: 10_000 })).toBeUndefined();
    const waiting = acquireLock(kv, 'l', { ttlMs: 10_000, waitMs: 2_000 });
    setTimeout(() => void a?.release(), 20);
    const b = await waiting;
    expect(b).toBeDefined();
    await a?.release(); // a second release by the old holder leaves b's lock in place
    expect(await acquireLock(kv, 'l', { ttlMs: 10_000 })).toBeUndefined();
    await b?.release();
    expect(await acquireLock(kv, 'l', { ttlMs: 10_000 })).toBeDefined();
    await kv.close();
  });
});

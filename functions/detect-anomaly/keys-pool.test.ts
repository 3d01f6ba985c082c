import { describe, expect, it } from 'vitest';
import { endpointOf } from '../../core/endpoint.js';
import type { LogEvent } from '../../core/event.js';
import { keysOf } from './event-keys.js';
import { KeysPool } from './keys-pool.js';

const T0 = Date.UTC(2026, 1, 7, 6);

function ev(i: number, http: boolean): LogEvent {
  return {
    v: 1,
    timestamp: new Date(T0 + i * 1000).toISOString(),
    source: 'api',
    level: i % 7 === 0 ? 'error' : 'info',
    message: `request ${i} done`,
    format: 'json',
    templateId: `t${i % 3}`,
    template: 'request <*> done',
    params: i % 2 ? [String(i), 'longer-param'] : [],
    ...(http
      ? { http: { method: 'GET', path: `/api/users/${i}`, status: 200 + i, latency_ms: i + 0.5 } }
      : {}),
    raw: `request ${i} done`,
  };
}

describe('KeysPool', () => {
  it('gives each batch the keys keysOf makes, whatever the batch before it left in the objects', () => {
    const pool = new KeysPool(5);
    const first = Array.from({ length: 8 }, (_, i) => ev(i, true));
    const keys1 = pool.keys(
      first,
      first.map((_, i) => T0 + i * 1000),
      10_000,
      T0,
      endpointOf,
    );
    // What the scoring marks on keys later, as a batch leaves them.
    for (const k of keys1) {
      k.rate = 9;
      k.priorErrors = 3;
      k.latTail = true;
      k.latShift = { ratio: 2, n: 40 };
    }
    const second = Array.from({ length: 7 }, (_, i) => ev(100 + i, i % 2 === 0));
    const times = second.map(() => Number.NaN);
    const keys2 = pool.keys(second, times, 10_000, T0, endpointOf);
    expect(keys2).toEqual(second.map((e, i) => keysOf(e, 10_000, T0, times[i])));
    // The first five objects are kept and reused; past the cap each batch has fresh ones.
    expect(keys2.slice(0, 5).every((k, i) => k === keys1[i])).toBe(true);
    expect(keys2[5]).not.toBe(keys1[5]);
  });
});

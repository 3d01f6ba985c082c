import { describe, expect, it } from 'vitest';
import { addTo, bucketOf, bucketValue, GAMMA, type Histogram, mergeInto, percentile } from './histogram.js';

describe('latency histogram', () => {
  it('puts a value in the bucket whose upper bound is the first >= value', () => {
    for (const ms of [0.5, 1, 3, 10, 123.4, 999, 30_000]) {
      const b = bucketOf(ms);
      expect(GAMMA ** (b - 1)).toBeLessThan(ms);
      expect(GAMMA ** b).toBeGreaterThanOrEqual(ms * (1 - 1e-9));
    }
    expect(bucketOf(0)).toBe(bucketOf(-5));
  });

  it('reports percentiles within the documented 9% relative error', () => {
    const h: Histogram = new Map();
    for (let ms = 1; ms <= 1000; ms++) addTo(h, bucketOf(ms), 1);
    for (const [q, want] of [
      [0.5, 500],
      [0.95, 950],
      [0.99, 990],
    ] as const) {
      const got = percentile(h, q)!;
      expect(Math.abs(got - want) / want).toBeLessThan(0.09);
    }
  });

  it('is empty-safe and merges by adding counts', () => {
    expect(percentile(new Map(), 0.5)).toBeNull();
    const a: Histogram = new Map([[bucketOf(10), 2]]);
    mergeInto(a, new Map([[bucketOf(10), 3]]));
    expect(a.get(bucketOf(10))).toBe(5);
    expect(bucketValue(bucketOf(10))).toBeCloseTo(10, -1);
  });
});

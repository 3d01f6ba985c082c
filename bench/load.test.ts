import { afterEach, expect, it } from 'vitest';
import { drainPollMs, warmupLines } from './load.js';

const saved = process.env.BENCH_WARMUP;
afterEach(() => {
  if (saved === undefined) delete process.env.BENCH_WARMUP;
  else process.env.BENCH_WARMUP = saved;
});

it('warms a stack up with 100,000 lines (20,000 with --quick), BENCH_WARMUP of them when set, none at 0', () => {
  delete process.env.BENCH_WARMUP;
  expect(warmupLines(false)).toHaveLength(100_000);
  expect(warmupLines(true)).toHaveLength(20_000);
  process.env.BENCH_WARMUP = '3000';
  expect(warmupLines(false)).toHaveLength(3000);
  process.env.BENCH_WARMUP = '0';
  expect(warmupLines(true)).toEqual([]);
  process.env.BENCH_WARMUP = '10k';
  expect(() => warmupLines(false)).toThrow(/BENCH_WARMUP must be a whole number/);
});

it('spaces the polls of a draining burst by the time its lines left should take, 20-500 ms', () => {
  // 100,000 of 200,000 lines seen after 1 s: the rest should take ~1 s, so the next poll is in 500 ms.
  expect(drainPollMs(100_000, 100_000, 1000)).toBe(500);
  // 12,000 left at that pace: ~120 ms, polled again in 60 ms, so the end is seen within tens of ms.
  expect(drainPollMs(12_000, 188_000, 1880)).toBe(60);
  expect(drainPollMs(500, 199_500, 2000)).toBe(20);
  expect(drainPollMs(0, 200_000, 2000)).toBe(20);
  // Nothing seen yet: no pace to go by.
  expect(drainPollMs(200_000, 0, 300)).toBe(100);
});

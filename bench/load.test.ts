import { afterEach, expect, it } from 'vitest';
import { warmupLines } from './load.js';

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

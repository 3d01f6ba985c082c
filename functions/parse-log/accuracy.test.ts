import { describe, expect, it } from 'vitest';
import { groupingAccuracy } from './accuracy.js';
import { loadLoghub, scoreDataset } from './loghub.js';

describe('groupingAccuracy', () => {
  it('counts a line correct only when its predicted group equals its true group', () => {
    expect(groupingAccuracy(['a', 'a', 'b', 'c'], ['x', 'x', 'y', 'y'])).toBe(0.5);
    expect(groupingAccuracy(['a', 'a', 'a'], ['x', 'x', 'y'])).toBe(0);
    expect(groupingAccuracy(['a', 'b'], ['x', 'y'])).toBe(1);
  });
});

// Pinned Loghub-2k grouping accuracy (format string + generic defaults only). Raise a pin when the
// parser improves; a drop below it is a regression. Drain's published GA is the floor of each pin.
const PINNED: Record<string, number> = {
  HDFS: 1.0,
  Hadoop: 0.988,
  Spark: 0.998,
  Zookeeper: 0.995,
  OpenSSH: 1.0,
  Apache: 1.0,
  HealthApp: 1.0,
  Proxifier: 1.0,
};

describe('Loghub-2k grouping accuracy', () => {
  const datasets = loadLoghub();
  it('covers the 8 fixture datasets', () => {
    expect(datasets.map((d) => d.name).sort()).toEqual(Object.keys(PINNED).sort());
    for (const d of datasets) expect(d.lines).toHaveLength(2000);
  });
  it.each(datasets.map((d) => [d.name, d] as const))('%s stays at or above its pin', (name, ds) => {
    const { ga } = scoreDataset(ds);
    expect(ga).toBeGreaterThanOrEqual(PINNED[name] - 0.0005);
  });
  it('mean GA stays at or above 0.98', () => {
    const mean = datasets.reduce((s, d) => s + scoreDataset(d).ga, 0) / datasets.length;
    expect(mean).toBeGreaterThanOrEqual(0.98);
  });
});

import { describe, expect, it } from 'vitest';
import { formatLeaveOneOut, leaveOneOut } from './leave-one-out.js';

describe('leaveOneOut', () => {
  // Score of value v on each dataset: x prefers 1, y and z prefer 2 (z only slightly).
  const scores: Record<string, Record<number, number>> = {
    x: { 1: 0.9, 2: 0.5, 3: 0.5 },
    y: { 1: 0.6, 2: 0.9, 3: 0.7 },
    z: { 1: 0.7, 2: 0.72, 3: 0.7 },
  };
  const param = { name: 'k', values: [1, 2, 3], default: 1 };
  const calls: string[] = [];
  const rows = leaveOneOut(param, ['x', 'y', 'z'], (d, o) => {
    calls.push(`${d}:${o.k}`);
    return scores[d][o.k];
  });

  it('chooses on the other datasets and scores the held-out one with that choice and the default', () => {
    expect(rows).toEqual([
      // Without x: mean of y,z is 0.65 at 1, 0.81 at 2, 0.70 at 3 -> 2.
      { dataset: 'x', chosen: 2, withChosen: 0.5, withDefault: 0.9 },
      // Without y: x,z 0.80 at 1, 0.61 at 2 -> 1 (the default).
      { dataset: 'y', chosen: 1, withChosen: 0.6, withDefault: 0.6 },
      // Without z: x,y 0.75 at 1, 0.70 at 2 -> 1.
      { dataset: 'z', chosen: 1, withChosen: 0.7, withDefault: 0.7 },
    ]);
  });

  it('scores each value on each dataset once', () => {
    expect(calls.sort()).toEqual(['x:1', 'x:2', 'x:3', 'y:1', 'y:2', 'y:3', 'z:1', 'z:2', 'z:3']);
  });

  it('keeps the default on a tie and tries it even when not listed', () => {
    const r = leaveOneOut({ name: 'k', values: [5, 6], default: 4 }, ['a', 'b'], () => 1);
    expect(r.map((x) => x.chosen)).toEqual([4, 4]);
  });

  it('prints one row per held-out dataset and the means', () => {
    const text = formatLeaveOneOut(param, rows);
    expect(text.split('\n')).toHaveLength(5);
    expect(text).toContain('x ');
    expect(text).toMatch(/mean\s+0\.600\s+0\.733/);
  });
});

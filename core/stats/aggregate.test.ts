import { describe, expect, it } from 'vitest';
import { addHash, emptyTotals, mergeTotals } from './aggregate.js';

describe('addHash', () => {
  it('derives latency counts from the histograms, ignoring ln / ep|<e>|n left by older writers', () => {
    const t = emptyTotals();
    addHash(t, {
      n: '4',
      a: '1',
      ln: '99',
      ls: '30.5',
      'l|10': '2',
      'l|-40': '1',
      'lv|info': '4',
      'st|2xx': '3',
      'src|web': '4',
      'ep|GET /a/:id|n': '99',
      'ep|GET /a/:id|s': '30.5',
      'ep|GET /a/:id|x': '1',
      'ep|GET /a/:id|h|5': '3',
    });
    expect(t).toMatchObject({ events: 4, anomalies: 1, latCount: 3, latSum: 30.5 });
    expect(t.lat).toEqual(
      new Map([
        [10, 2],
        [-40, 1],
      ]),
    );
    expect(t.levels.get('info')).toBe(4);
    expect(t.statuses.get('2xx')).toBe(3);
    expect(t.sources.get('web')).toBe(4);
    expect(t.endpoints.get('GET /a/:id')).toEqual({ n: 3, sum: 30.5, errors: 1, hist: new Map([[5, 3]]) });
    const sum = emptyTotals();
    mergeTotals(sum, t);
    mergeTotals(sum, t);
    expect(sum.endpoints.get('GET /a/:id')?.n).toBe(6);
    expect(sum.latCount).toBe(6);
    expect(t.latCount).toBe(3);
  });
});

import { describe, expect, it } from 'vitest';
import { incident } from '../test/incident-fixture.js';
import {
  encodeIncidentChanges,
  incidentChanges,
  MAX_CHANGES_BYTES,
  MAX_CHANGES_PER_MESSAGE,
  parseIncidentChanges,
} from './incident-change.js';

describe('incidentChanges', () => {
  const a = incident({ id: 'a' });
  const b = incident({ id: 'b' });
  it('lists opened, updated and closed incidents, and nothing for one left as it was', () => {
    const before = new Map([
      ['g1', a],
      ['g2', b],
      ['g3', incident({ id: 'c' })],
    ]);
    const open = new Map([
      ['g1', a],
      ['g2', { ...b, count: 41, updatedAt: (b.updatedAt ?? 0) + 1 }],
      ['g4', incident({ id: 'd' })],
    ]);
    expect(incidentChanges('web', before, open, [{ ...incident({ id: 'c' }), status: 'closed' }])).toEqual([
      { source: 'web', id: 'b', state: 'updated' },
      { source: 'web', id: 'd', state: 'opened' },
      { source: 'web', id: 'c', state: 'closed' },
    ]);
  });
});

describe('encode / parse', () => {
  it('round-trips, and nothing to say is no header', () => {
    const c = [{ source: 'web', id: 'ab12', state: 'opened' as const }];
    expect(parseIncidentChanges(encodeIncidentChanges(c)!)).toEqual(c);
    expect(encodeIncidentChanges([])).toBeUndefined();
  });
  it(`keeps at most ${MAX_CHANGES_PER_MESSAGE} changes, so the header stays small`, () => {
    const many = Array.from({ length: 500 }, (_, i) => ({
      source: 'a-long-source-name',
      id: i.toString(16).padStart(12, '0'),
      state: 'updated' as const,
    }));
    const h = encodeIncidentChanges(many)!;
    expect(parseIncidentChanges(h)).toHaveLength(MAX_CHANGES_PER_MESSAGE);
    expect(h.length).toBeLessThan(8 * 1024);
  });
  it('stays a valid header: ASCII only, at most 8 KB however long the sources', () => {
    const c = [{ source: 'kassa-日本-ü', id: 'ab12', state: 'closed' as const }];
    const h = encodeIncidentChanges(c)!;
    expect(h).toMatch(/^[\x20-\x7e]+$/);
    expect(() => new Headers({ 'x-side-output': h })).not.toThrow();
    expect(parseIncidentChanges(h)).toEqual(c);
    const long = Array.from({ length: 64 }, (_, i) => ({
      source: 's'.repeat(1000),
      id: `${i}`,
      state: 'opened' as const,
    }));
    const cut = encodeIncidentChanges(long)!;
    expect(cut.length).toBeLessThanOrEqual(MAX_CHANGES_BYTES);
    expect(parseIncidentChanges(cut).length).toBeGreaterThan(0);
  });
  const bad: [string, string][] = [
    ['not JSON', 'nope'],
    ['no incidents list', '{}'],
    ['an id that is not hex', '{"incidents":[{"source":"a","id":"<b>","state":"opened"}]}'],
    ['an unknown state', '{"incidents":[{"source":"a","id":"ab","state":"gone"}]}'],
    ['an empty source', '{"incidents":[{"source":"","id":"ab","state":"opened"}]}'],
  ];
  it.each(bad)('rejects %s', (_n, body) => expect(() => parseIncidentChanges(body)).toThrow());
});

import { describe, expect, it } from 'vitest';
import {
  decodeMutes,
  encodeMutes,
  MUTE_LIMITS,
  type Mute,
  MuteInputError,
  muteFrom,
  muteSet,
  parseMuteRequest,
  withMute,
  withoutMute,
} from './mute.js';

const m = (source: string, templateId: string, at: number, until?: number): Mute => ({
  source,
  templateId,
  at,
  ...(until === undefined ? {} : { until }),
});

describe('mute requests', () => {
  it.each([
    [null, /JSON object/],
    [[], /JSON object/],
    [{ templateId: 't1' }, /source must be a non-empty string/],
    [{ source: 'web', templateId: ' ' }, /templateId must be a non-empty string/],
    [{ source: 'web', templateId: 't1', forMs: '1h' }, /forMs must be whole milliseconds/],
    [{ source: 'web', templateId: 't1', forMs: 10 }, /forMs must be whole milliseconds/],
    [{ source: 'web', templateId: 't1', forMs: 400 * 86_400_000 }, /forMs/],
    [{ source: 'web', templateId: 't1', reason: 5 }, /reason must be a string/],
    [{ source: 'web', templateId: 't1', reason: 'x'.repeat(201) }, /reason is longer than 200/],
    [{ source: 'x'.repeat(201), templateId: 't1' }, /source is longer/],
  ])('refuses %j', (body, msg) => {
    expect(() => parseMuteRequest(body)).toThrow(MuteInputError);
    expect(() => parseMuteRequest(body)).toThrow(msg);
  });

  it('turns a request into a mute stamped by the server clock', () => {
    const req = parseMuteRequest({
      source: 'web',
      templateId: 't1',
      forMs: 3_600_000,
      reason: 'deploy noise',
    });
    expect(muteFrom(req, 1000, 'admin')).toEqual({
      source: 'web',
      templateId: 't1',
      at: 1000,
      until: 3_601_000,
      reason: 'deploy noise',
      by: 'admin',
    });
    expect(muteFrom(parseMuteRequest({ source: 'web', templateId: 't1', by: 'ana' }), 5, 'admin')).toEqual({
      source: 'web',
      templateId: 't1',
      at: 5,
      by: 'ana',
    });
  });
});

describe('the mute list', () => {
  it('replaces the same pair, drops expired mutes, newest first, and is bounded', () => {
    const list = [m('web', 't1', 1), m('web', 't2', 2, 50), m('api', 't1', 3)];
    const next = withMute(list, m('web', 't1', 100), 100);
    expect(next.full).toBe(false);
    expect(next.list).toEqual([m('web', 't1', 100), m('api', 't1', 3)]);
    const full = Array.from({ length: MUTE_LIMITS.maxMutes }, (_, i) => m('s', `t${i}`, i));
    expect(withMute(full, m('s', 'new', 1), 1).full).toBe(true);
    // Replacing one already there is always allowed, and an expired one frees its place.
    expect(withMute(full, m('s', 't0', 1), 1).full).toBe(false);
    const someExpired = full.map((x, i) => (i === 0 ? { ...x, until: 1 } : x));
    expect(withMute(someExpired, m('s', 'new', 2), 2).full).toBe(false);
  });

  it('removes a pair and says whether it was there', () => {
    const list = [m('web', 't1', 1), m('api', 't1', 2)];
    expect(withoutMute(list, 'web', 't1', 3)).toEqual({ list: [m('api', 't1', 2)], removed: true });
    expect(withoutMute(list, 'web', 't9', 3).removed).toBe(false);
  });

  it('keeps source and template apart whatever they contain', () => {
    const set = muteSet([m('a|b', 'c', 1), m('x', 'y|z', 1)], 2);
    expect(set.has('a|b', 'c')).toBe(true);
    expect(set.has('a', 'b|c')).toBe(false);
    expect(set.has('x', 'y|z')).toBe(true);
    expect(set.has('x|y', 'z')).toBe(false);
  });

  it('applies a mute until its end only', () => {
    const list = [m('web', 't1', 0, 1000)];
    expect(muteSet(list, 999).has('web', 't1')).toBe(true);
    expect(muteSet(list, 1000).has('web', 't1')).toBe(false);
    expect(muteSet(list, 1000).size).toBe(0);
  });

  it('round-trips, and skips what is not a mute', () => {
    const list = [m('web', 't1', 1, 9), { ...m('api', 't2', 2), reason: 'r', by: 'b' }];
    expect(decodeMutes(encodeMutes(list))).toEqual(list);
    expect(decodeMutes(null)).toEqual([]);
    expect(decodeMutes('not json')).toEqual([]);
    expect(decodeMutes('{"mutes":[1,{"source":"web"},{"source":"a","templateId":"b","at":1}]}')).toEqual([
      m('a', 'b', 1),
    ]);
  });
});

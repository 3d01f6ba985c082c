import { describe, expect, it } from 'vitest';
import { DASH, fmtBytes, fmtInt, fmtMs, fmtPct, fmtRate, fmtScore, fmtTime } from './format.js';
import {
  filterOfValue,
  filterValue,
  readState,
  refreshMs,
  retryDelayMs,
  statsQuery,
  writeState,
} from './url-state.js';

describe('format', () => {
  it.each([Number.NaN, undefined, null, Infinity, 'x'])('turns %s into a dash, never NaN', (x) => {
    for (const f of [fmtInt, fmtPct, fmtRate, fmtMs, fmtBytes, fmtScore, fmtTime]) expect(f(x)).toBe(DASH);
  });

  it('formats numbers for people', () => {
    expect(fmtInt(1234567)).toBe('1,234,567');
    expect(fmtPct(0)).toBe('0%');
    expect(fmtPct(0.0329)).toBe('3.29%');
    expect(fmtPct(0.00012)).toBe('0.012%');
    expect(fmtMs(0.5)).toBe('0.50 ms');
    expect(fmtMs(83)).toBe('83.0 ms');
    expect(fmtMs(1500)).toBe('1.50 s');
    expect(fmtBytes(512)).toBe('512 B');
    expect(fmtBytes(27_340)).toBe('26.7 KiB');
  });
});

describe('url state', () => {
  it('reads window and refresh with defaults for missing or unknown values', () => {
    const none = { source: '', only: '' };
    expect(readState('')).toEqual({ window: '15m', refresh: '5s', ...none });
    expect(readState('?window=1h&refresh=off')).toEqual({ window: '1h', refresh: 'off', ...none });
    expect(readState('?window=99y&refresh=1ms')).toEqual({ window: '15m', refresh: '5s', ...none });
  });

  it('writes a shareable query that keeps other parameters', () => {
    const none = { source: '', only: '' };
    expect(writeState('?theme=x', { window: '24h', refresh: '10s', ...none })).toBe(
      '?theme=x&window=24h&refresh=10s',
    );
  });

  it('keeps the source filter in the URL and the stats query: one source or real/simulated only', () => {
    expect(readState('?source=nginx')).toMatchObject({ source: 'nginx', only: '' });
    expect(readState('?only=real&source=nginx')).toMatchObject({ source: '', only: 'real' });
    expect(readState('?only=bogus')).toMatchObject({ source: '', only: '' });
    const s = { window: '1h', refresh: '5s', source: 'nginx', only: '' };
    expect(writeState('?only=real', s)).toBe('?window=1h&refresh=5s&source=nginx');
    expect(statsQuery(s)).toBe('window=1h&source=nginx');
    expect(statsQuery({ ...s, source: '', only: 'real' })).toBe('window=1h&only=real');
    for (const f of [
      { source: '', only: '' },
      { source: 'a b', only: '' },
      { source: '', only: 'simulated' },
    ])
      expect(filterOfValue(filterValue(f))).toEqual(f);
  });

  it('backs off after failures, capped at 30 s', () => {
    expect(refreshMs('5s')).toBe(5000);
    expect(refreshMs('off')).toBeNull();
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(5000, n))).toEqual([5000, 10_000, 20_000, 30_000, 30_000]);
  });
});

import { describe, expect, it } from 'vitest';
import { formatIso, parseEventTime } from './event-time.js';
import { seededRandom } from './random.js';

const pad = (n: number, w: number) => String(n).padStart(w, '0');

describe('parseEventTime', () => {
  it('is Date.parse on the edges of the fast path', () => {
    for (const s of [
      '2026-02-07T06:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '2024-02-29T12:34:56.789Z',
      '2026-02-30T00:00:00.000Z',
      '2026-02-31T00:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2026-02-32T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-00-01T00:00:00.000Z',
      '2026-01-00T00:00:00.000Z',
      '2026-01-01T24:00:00.000Z',
      '2026-01-01T24:00:00.001Z',
      '2026-01-01T23:60:00.000Z',
      '2026-01-01T23:59:60.000Z',
      '0000-01-01T00:00:00.000Z',
      '0099-03-01T00:00:00.000Z',
      '0999-12-31T23:59:59.999Z',
      '1000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
      '2026-02-07T06:00:00.000+00:00',
      '2026-02-07T06:00:00Z',
      '2026-02-07 06:00:00.000Z',
      '2026-02-07T06:00:00.00aZ',
      '2026-02-07T06:00:00,000Z',
      '',
      'not a date',
    ]) {
      expect(Object.is(parseEventTime(s), Date.parse(s)), s).toBe(true);
    }
  });

  it('is Date.parse on random and mangled timestamps', () => {
    const r = seededRandom(7);
    const int = (n: number) => Math.floor(r() * n);
    for (let i = 0; i < 200_000; i++) {
      let s = `${pad(int(12_000), 4)}-${pad(int(15), 2)}-${pad(int(34), 2)}T${pad(int(26), 2)}:${pad(int(62), 2)}:${pad(int(62), 2)}.${pad(int(1000), 3)}Z`;
      if (r() < 0.1) {
        const k = int(s.length);
        s = s.slice(0, k) + String.fromCharCode(32 + int(90)) + s.slice(k + 1);
      }
      if (!Object.is(parseEventTime(s), Date.parse(s))) expect(parseEventTime(s), s).toBe(Date.parse(s));
    }
  });
});

describe('formatIso', () => {
  it('matches Date#toISOString', () => {
    const cache = { day: -1, prefix: '' };
    let x = 7;
    for (let i = 0; i < 20_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const ms = Math.floor((x / 2 ** 32) * 2 ** 45) * (i % 3 === 0 ? 1 : 7);
      expect(formatIso(ms, cache)).toBe(new Date(ms).toISOString());
    }
    expect(formatIso(-1, cache)).toBe(new Date(-1).toISOString());
    expect(formatIso(Date.UTC(2024, 1, 29, 23, 59, 59, 999), cache)).toBe('2024-02-29T23:59:59.999Z');
  });
});

import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from './keys.js';
import { planWindow } from './window.js';

const at = (h: number, m: number, s = 0) => Date.UTC(2026, 10, 28, h, m, s);
const minuteAt = (h: number, m: number) => at(h, m) / MINUTE_MS;

describe('planWindow', () => {
  it.each([
    ['1m', MINUTE_MS, 0, 1], // 12:30 is a block start; the block holds nothing newer than now
    ['5m', 5 * MINUTE_MS, 4, 1],
    ['15m', 15 * MINUTE_MS, 4, 2],
    ['1h', HOUR_MS, 9, 6],
    ['6h', 6 * HOUR_MS, 0, 37],
    ['24h', 24 * HOUR_MS, 0, 145],
  ])('%s at 12:30:20', (_, ms, minutes, tens) => {
    const p = planWindow(ms, at(12, 30, 20));
    expect([p.minutes.length, p.tens.length]).toEqual([minutes, tens]);
  });

  it('covers every minute of the window exactly once', () => {
    for (const ms of [MINUTE_MS, 15 * MINUTE_MS, HOUR_MS, 90 * MINUTE_MS, 24 * HOUR_MS]) {
      for (const now of [at(12, 0), at(12, 9, 59), at(12, 30, 20), at(12, 59, 59)]) {
        const p = planWindow(ms, now);
        const covered = [
          ...p.minutes,
          ...p.tens.flatMap((t) => Array.from({ length: 10 }, (_, i) => t * 10 + i)),
        ].filter((m) => m * MINUTE_MS <= now);
        expect(new Set(covered).size).toBe(covered.length);
        expect(Math.min(...covered)).toBe(p.from / MINUTE_MS);
        expect(Math.max(...covered)).toBe(Math.floor(now / MINUTE_MS));
      }
    }
  });

  it('picks second slots up to 15 min and minute slots beyond, in packed containers', () => {
    const short = planWindow(15 * MINUTE_MS, at(12, 30, 20));
    expect(short.series.unit).toBe('second');
    expect(short.series.slots).toHaveLength(900);
    expect(short.series.containers).toHaveLength(16);
    const long = planWindow(24 * HOUR_MS, at(12, 30, 20));
    expect(long.series.unit).toBe('minute');
    expect(long.series.containers).toHaveLength(25);
    expect(long.from).toBe(at(12, 30) - 24 * HOUR_MS);
    expect(planWindow(HOUR_MS, at(12, 30, 20)).latencyHours).toEqual([
      minuteAt(11, 0) / 60,
      minuteAt(12, 0) / 60,
    ]);
  });
});

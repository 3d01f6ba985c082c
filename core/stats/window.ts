// Which buckets answer a window: whole ten-minute blocks plus the minutes at the leading edge (24 h is
// 145 blocks, 1 h at most 7 blocks + 9 minutes), and the throughput series' slots. Pure.
import { HOUR_MS, hourOf, MINUTE_MS, minuteOf, SECOND_MS, secondOf } from './keys.js';

/** Windows up to this long get a per-second throughput series; longer ones per minute. */
export const SECOND_SERIES_MAX_MS = 15 * MINUTE_MS;

export type SeriesUnit = 'second' | 'minute';
export const UNIT_MS: Record<SeriesUnit, number> = { second: SECOND_MS, minute: MINUTE_MS };
/** Windows up to this long get a per-minute latency series; longer ones per hour. */
export const MINUTE_LATENCY_MAX_MS = HOUR_MS;

export interface WindowPlan {
  /** Start of the window (epoch ms): a whole minute, or a ten-minute boundary above 1 h. */
  from: number;
  to: number;
  /** Aggregate hashes to read, by resolution (minute / ten-minute numbers since the epoch). */
  minutes: number[];
  tens: number[];
  /**
   * Throughput slots (seconds or minutes since the epoch) and the packed hashes holding them: minutes for
   * second slots, hours for minute slots (slot s lives in container floor(s / 60), field index s % 60).
   */
  series: { unit: SeriesUnit; slots: number[]; containers: number[] };
  /**
   * Latency chart: per minute from the packed per-minute histograms of these hours (windows up to 1 h),
   * else per hour from the aggregate hashes (`latencyHours` empty).
   */
  latencyUnit: 'minute' | 'hour';
  latencyHours: number[];
  /** Hours whose template hashes overlap the window. */
  templateHours: number[];
}

const range = (a: number, b: number): number[] => {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
};

export function planWindow(windowMs: number, now: number): WindowPlan {
  const w = Math.max(1, Math.ceil(windowMs / MINUTE_MS));
  const m1 = minuteOf(now);
  const fine = windowMs <= MINUTE_LATENCY_MAX_MS;
  // Above 1 h the window starts on a ten-minute boundary (at most 9 extra minutes in 24 h) and reads no minutes.
  const m0 = fine ? m1 - w + 1 : Math.floor((m1 - w + 1) / 10) * 10;
  // Buckets hold nothing newer than now, so the current ten-minute block can be read whole: only the
  // leading edge needs minute buckets. There are no hour aggregates: the ten-minute blocks of a 24 h window
  // are fetched once each and then come from the stats replica's cache of closed buckets (bucket-cache.ts).
  const t0 = Math.ceil(m0 / 10);
  const tens = range(t0, Math.floor(m1 / 10));
  const minutes = range(m0, Math.min(t0 * 10 - 1, m1));
  let unit: SeriesUnit;
  let slots: number[];
  if (windowMs <= SECOND_SERIES_MAX_MS) {
    unit = 'second';
    const s1 = secondOf(now);
    slots = range(s1 - Math.ceil(windowMs / SECOND_MS) + 1, s1);
  } else {
    unit = 'minute';
    slots = range(m0, m1);
  }
  const containers = range(Math.floor(slots[0] / 60), Math.floor(slots[slots.length - 1] / 60));
  const templateHours = range(hourOf(m0 * MINUTE_MS), hourOf(now));
  return {
    from: m0 * MINUTE_MS,
    to: now,
    minutes,
    tens,
    series: { unit, slots, containers },
    latencyUnit: fine ? 'minute' : 'hour',
    latencyHours: fine ? range(Math.floor(m0 / 60), hourOf(now)) : [],
    templateHours,
  };
}

// Which buckets answer a window: whole hours plus the minutes at the leading edge (so 24 h costs at
// most 25 hour hashes + 59 minute hashes), and the throughput series' slots. Pure.
import { HOUR_MS, hourOf, MINUTE_MS, minuteOf, SECOND_MS, secondOf } from './keys.js';

/** Windows up to this long get a per-second throughput series; longer ones per minute. */
export const SECOND_SERIES_MAX_MS = 15 * MINUTE_MS;

export type SeriesUnit = 'second' | 'minute';
export const UNIT_MS: Record<SeriesUnit, number> = { second: SECOND_MS, minute: MINUTE_MS };
/** Windows up to this long get a per-minute latency series; longer ones per hour. */
export const MINUTE_LATENCY_MAX_MS = HOUR_MS;

export interface WindowPlan {
  /** Start of the first whole minute in the window (epoch ms). */
  from: number;
  to: number;
  /** Minute aggregate hashes to read (minute numbers since the epoch). */
  minutes: number[];
  /** Hour aggregate hashes to read (hour numbers since the epoch). */
  hours: number[];
  /**
   * Throughput slots (seconds or minutes since the epoch) and the packed hashes holding them: minutes for
   * second slots, hours for minute slots (slot s lives in container floor(s / 60), field index s % 60).
   */
  series: { unit: SeriesUnit; slots: number[]; containers: number[] };
  /** Hours whose template hashes overlap the window. */
  templateHours: number[];
}

export function planWindow(windowMs: number, now: number): WindowPlan {
  const w = Math.max(1, Math.ceil(windowMs / MINUTE_MS));
  const m1 = minuteOf(now);
  const m0 = m1 - w + 1;
  const minutes: number[] = [];
  const hours: number[] = [];
  if (windowMs <= MINUTE_LATENCY_MAX_MS) {
    for (let m = m0; m <= m1; m++) minutes.push(m);
  } else {
    // Hour buckets hold nothing newer than now, so the current partial hour can be read whole.
    const h0 = Math.ceil(m0 / 60);
    for (let m = m0; m < Math.min(h0 * 60, m1 + 1); m++) minutes.push(m);
    for (let h = h0; h <= hourOf(now); h++) hours.push(h);
  }
  const slots: number[] = [];
  let unit: SeriesUnit;
  if (windowMs <= SECOND_SERIES_MAX_MS) {
    unit = 'second';
    const s1 = secondOf(now);
    for (let s = s1 - Math.ceil(windowMs / SECOND_MS) + 1; s <= s1; s++) slots.push(s);
  } else {
    unit = 'minute';
    for (let m = m0; m <= m1; m++) slots.push(m);
  }
  const containers: number[] = [];
  for (let c = Math.floor(slots[0] / 60); c <= Math.floor(slots[slots.length - 1] / 60); c++)
    containers.push(c);
  const templateHours: number[] = [];
  for (let h = hourOf(m0 * MINUTE_MS); h <= hourOf(now); h++) templateHours.push(h);
  return {
    from: m0 * MINUTE_MS,
    to: now,
    minutes,
    hours,
    series: { unit, slots, containers },
    templateHours,
  };
}

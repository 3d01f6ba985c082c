// An event's timestamp as epoch ms, and epoch ms as the schema's timestamp (pure; the one home of both).
// The schema's own form (toISOString: `YYYY-MM-DDTHH:mm:ss.sssZ`, all that parse-log emits) is read digit
// by digit, several times faster than Date.parse; anything else, or a field out of the plainly valid
// range, goes to Date.parse, so the result is always Date.parse's (fuzz-tested in event-time.test.ts).
import { digitsAt } from './digits.js';

/** Date.parse(ts), NaN when it is not a date. */
export function parseEventTime(ts: string): number {
  if (
    ts.length !== 24 ||
    ts.charCodeAt(4) !== 45 || // -
    ts.charCodeAt(7) !== 45 ||
    ts.charCodeAt(10) !== 84 || // T
    ts.charCodeAt(13) !== 58 || // :
    ts.charCodeAt(16) !== 58 ||
    ts.charCodeAt(19) !== 46 || // .
    ts.charCodeAt(23) !== 90 // Z
  )
    return Date.parse(ts);
  const y1 = twoDigits(ts, 0);
  const y2 = twoDigits(ts, 2);
  const mo = twoDigits(ts, 5);
  const d = twoDigits(ts, 8);
  const h = twoDigits(ts, 11);
  const mi = twoDigits(ts, 14);
  const s = twoDigits(ts, 17);
  const ms1 = twoDigits(ts, 20);
  const ms2 = ts.charCodeAt(22) - 48;
  // Date.parse accepts day 29-31 of any month (rolled over, as the arithmetic below does), hour 24 only
  // at 24:00:00.000, and years below 1000 in other ways: those and every invalid field go to Date.parse.
  if (
    y1 < 10 ||
    y2 < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > 31 ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    s < 0 ||
    s > 59 ||
    ms1 < 0 ||
    ms2 >>> 0 > 9
  )
    return Date.parse(ts);
  return daysFromCivil(y1 * 100 + y2, mo, d) * 86_400_000 + ((h * 60 + mi) * 60 + s) * 1000 + ms1 * 10 + ms2;
}

/** The two decimal digits at i..i+1, or -1. */
const twoDigits = (s: string, i: number): number => digitsAt(s, i, 2);

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

const DAY_MS = 86_400_000;

/** Remembers the date part of the last formatted day, as neighbouring lines share it. */
export interface DayCache {
  day: number;
  prefix: string;
  /** The last formatted minute and its text up to the seconds (`2026-02-07T06:34:`). */
  minute?: number;
  minutePrefix?: string;
  /** The minute before it: mixed sources interleave two clocks (an access log's local time, ISO UTC). */
  otherMinute?: number;
  otherMinutePrefix?: string;
  /** The last second (minute * 60 + seconds) and its text up to the milliseconds (`...06:34:01.`). */
  second?: number;
  secondPrefix?: string;
}

const p2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const p3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);
// `SS.` and `mmmZ` for every second and millisecond (a few KB): two table reads per line instead of
// formatting two numbers.
const SECOND_TEXT = Array.from({ length: 60 }, (_, n) => `${p2(n)}.`);
const MILLI_TEXT = Array.from({ length: 1000 }, (_, n) => `${p3(n)}Z`);

/** The furthest time a Date holds, either side of 1970. */
export const MAX_DATE_MS = 8.64e15;

/** Year 10000: from there on ISO text takes the expanded `+YYYYYY` form, which formatIso leaves to Date. */
const END_OF_9999_MS = 253402300800000;

/**
 * `ms` as the whole milliseconds formatIso writes in the schema's own form (years 1970-9999), else NaN:
 * the time a reader of that text would get back, without reading it.
 */
export function wholeIsoMs(ms: number): number {
  return ms >= 0 && ms < END_OF_9999_MS ? Math.floor(ms) : Number.NaN;
}

/**
 * Same output as `new Date(ms).toISOString()`, several times faster for years 1970-9999 (the date
 * part is computed once per day with Hinnant's days-to-civil algorithm; profiling put toISOString
 * at 15% of parse time). The text up to the milliseconds is kept per second, so a line adds one
 * string to it, not two: each event's timestamp lives until its batch is encoded.
 */
export function formatIso(ms: number, cache: DayCache): string {
  if (!(ms >= 0 && ms < END_OF_9999_MS)) return new Date(ms).toISOString();
  // Whole milliseconds first, so a fractional `ms` cannot round up into the next minute.
  const minute = Math.floor(Math.floor(ms) / 60_000);
  const rem = ms - minute * 60_000;
  const s = Math.floor(rem / 1000);
  const milli = MILLI_TEXT[Math.floor(rem - s * 1000)];
  const second = minute * 60 + s;
  if (second === cache.second) return cache.secondPrefix + milli;
  if (minute !== cache.minute) {
    const last = cache.minute;
    const lastPrefix = cache.minutePrefix;
    if (minute === cache.otherMinute) {
      cache.minute = minute;
      cache.minutePrefix = cache.otherMinutePrefix;
    } else setMinute(ms, minute, cache);
    cache.otherMinute = last;
    cache.otherMinutePrefix = lastPrefix;
  }
  cache.second = second;
  cache.secondPrefix = cache.minutePrefix + SECOND_TEXT[s];
  return cache.secondPrefix + milli;
}

function setMinute(ms: number, minute: number, cache: DayCache): void {
  const day = Math.floor(ms / DAY_MS);
  if (day !== cache.day) {
    const z = day + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor(
      (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
    );
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const m = mp < 10 ? mp + 3 : mp - 9;
    const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    cache.day = day;
    cache.prefix = `${String(y).padStart(4, '0')}-${p2(m)}-${p2(d)}T`;
  }
  let rem = ms - day * DAY_MS;
  const h = Math.floor(rem / 3_600_000);
  rem -= h * 3_600_000;
  const mi = Math.floor(rem / 60_000);
  cache.minute = minute;
  cache.minutePrefix = `${cache.prefix}${p2(h)}:${p2(mi)}:`;
}

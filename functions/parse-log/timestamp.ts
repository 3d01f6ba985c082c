// Timestamp text -> epoch ms. Rules (documented in docs/event-schema.md): no zone means UTC; no year
// means the receive year, or the year before if that would put the line more than a day in the
// future (a December line read in January); a bare time means the receive day. Numeric dates are
// read year first (ISO order) unless the year is last (`02/07/2026` is month/day/year).
import { digitsAt } from '../../core/digits.js';

const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};
const DAY_MS = 86_400_000;

// `Feb`, `feb`, `FEB` looked up as written: no lower-cased copy per line.
const MONTH_AS_WRITTEN = new Map<string, number>();
for (const [k, v] of Object.entries(MONTHS)) {
  MONTH_AS_WRITTEN.set(k, v);
  MONTH_AS_WRITTEN.set(k.toUpperCase(), v);
  MONTH_AS_WRITTEN.set(k[0].toUpperCase() + k.slice(1), v);
}
/** The month (0-11) of a month name or its first three letters, any case. */
export const monthOf = (name: string): number | undefined =>
  MONTH_AS_WRITTEN.get(name) ?? MONTHS[name.toLowerCase()];

const TIME_ZONE =
  '(?:[T _-]+|-?)(\\d{1,2}):?(\\d{2}):?(\\d{2})(?:[.,:](\\d{1,9}))?\\s*(Z|UTC|GMT|[+-]\\d{2}:?\\d{2})?$';
const YMD = new RegExp(`^(\\d{4}|\\d{2})([-/.])(\\d{1,2})\\2(\\d{1,2})${TIME_ZONE}`, 'i');
// `081109 203615`, `20171223-22:15:29:606`: no separators, so two digits each for month and day.
const YMD_COMPACT = new RegExp(`^(\\d{4}|\\d{2})()(\\d{2})(\\d{2})${TIME_ZONE}`, 'i');
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MDY = /^(\d{1,2})\/(\d{1,2})\/(\d{4})[ T:](\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?$/;
const CLF = /^(\d{1,2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\s*([+-]\d{2}:?\d{2}))?$/;
const MD_NOYEAR = /^(\d{1,2})[.-](\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?$/;
// klog/glog: `0501 12:00:00.123456` (month and day, no year).
const MD_COMPACT = /^(\d{2})(\d{2}) (\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?$/;
const TIME_ONLY = /^(\d{1,2}):(\d{2}):(\d{2})(?:[.,:](\d{1,9}))?$/;
const TIME_IN = /(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?/;
const MONTH_IN = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b/i;
const ZONE_IN = /(?:^|\s)(Z|UTC|GMT|[+-]\d{2}:?\d{2})$/i;
// Module constants, not literals in the functions: a literal is a new RegExp object per call.
const EPOCH_S = /^\d{9,10}(\.\d+)?$/;
const EPOCH_MS = /^\d{12,13}$/;
const YEAR_IN = /\b(\d{4})\b/;
const DAY_IN = /\b(\d{1,2})\b/;
const UTC_NAME = /^(z|utc|gmt)$/i;
const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

export function parseTimestamp(text: string, now: number): number | undefined {
  const s = text.trim();
  if (s.length === 0 || s.length > 64) return undefined;
  const c = s.charCodeAt(0);
  if (c < 48 || c > 57) return worded(s, now);
  const fast = isoFast(s);
  if (fast !== undefined) return fast;
  // `07/Feb/2026:...` (access logs): a letter after `dd/` fails every pattern tried before CLF,
  // so CLF goes first for that shape (same result, three regexes fewer).
  const slash = s.charCodeAt(1) === 47 ? 1 : s.charCodeAt(2) === 47 ? 2 : -1;
  if (slash > 0 && (s.charCodeAt(slash + 1) | 32) >= 97 && (s.charCodeAt(slash + 1) | 32) <= 122) {
    const quick = clfFast(s, slash);
    if (quick !== null) return quick;
    const clf = CLF.exec(s);
    if (clf) return fromClf(clf);
  }
  if (EPOCH_S.test(s)) return Math.round(Number(s) * 1000);
  if (EPOCH_MS.test(s)) return Number(s);
  let m = YMD.exec(s) ?? YMD_COMPACT.exec(s);
  if (m) {
    const year = m[1].length === 2 ? 2000 + Number(m[1]) : Number(m[1]);
    return build(year, +m[3] - 1, +m[4], +m[5], +m[6], +m[7], m[8], m[9]);
  }
  if ((m = DATE_ONLY.exec(s))) return build(+m[1], +m[2] - 1, +m[3], 0, 0, 0);
  if ((m = CLF.exec(s))) return fromClf(m);
  if ((m = MDY.exec(s))) return build(+m[3], +m[1] - 1, +m[2], +m[4], +m[5], +m[6], m[7]);
  if ((m = MD_NOYEAR.exec(s))) return withoutYear(now, +m[1] - 1, +m[2], +m[3], +m[4], +m[5], m[6]);
  if ((m = MD_COMPACT.exec(s))) return withoutYear(now, +m[1] - 1, +m[2], +m[3], +m[4], +m[5], m[6]);
  if ((m = TIME_ONLY.exec(s))) {
    const d = new Date(now);
    return build(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), +m[1], +m[2], +m[3], m[4]);
  }
  return monthName(s, now);
}

function fromClf(m: RegExpExecArray): number | undefined {
  const mon = monthOf(m[2]);
  return mon === undefined ? undefined : build(+m[3], mon, +m[1], +m[4], +m[5], +m[6], undefined, m[7]);
}

/**
 * The access-log shape `dd/Mon/yyyy:HH:MM:SS[ +zzzz]` read without the CLF regex and its match
 * array (one per combined-format line): the same result as `fromClf(CLF.exec(s))`. null when `s` is
 * not exactly that shape (a one-digit day is fine, other spacing or zone forms are not): the regex
 * decides those.
 */
function clfFast(s: string, slash: number): number | undefined | null {
  const n = s.length;
  const at = slash + 1;
  if (n < at + 17 || s.charCodeAt(at + 3) !== 47 || s.charCodeAt(at + 8) !== 58) return null;
  if (s.charCodeAt(at + 11) !== 58 || s.charCodeAt(at + 14) !== 58) return null;
  const day = num(s, 0, slash);
  const year = num(s, at + 4, 4);
  const h = num(s, at + 9, 2);
  const mi = num(s, at + 12, 2);
  const sec = num(s, at + 15, 2);
  if (day < 0 || year < 0 || h < 0 || mi < 0 || sec < 0) return null;
  let offset = 0;
  const z = at + 17;
  if (z < n) {
    // Only ` +hhmm` and ` +hh:mm` here.
    if (s.charCodeAt(z) !== 32) return null;
    const sign = s.charCodeAt(z + 1);
    if (sign !== 43 && sign !== 45) return null;
    const colon = n === z + 7 && s.charCodeAt(z + 4) === 58 ? 1 : 0;
    if (n !== z + 6 + colon) return null;
    const oh = num(s, z + 2, 2);
    const om = num(s, z + 4 + colon, 2);
    if (oh < 0 || om < 0) return null;
    offset = (oh * 60 + om) * 60_000;
    if (sign === 45) offset = -offset;
  }
  for (let i = at; i < at + 3; i++) {
    const c = s.charCodeAt(i) | 32;
    if (c < 97 || c > 122) return null;
  }
  const mon = monthOf(s.slice(at, at + 3));
  return mon === undefined ? undefined : atTime(year, mon, day, h, mi, sec, 0, offset);
}

const num = digitsAt;

/**
 * `YYYY-MM-DD[T ]HH:MM:SS[.,fraction][Z]`, the most common shape, without a regex (profiling put
 * timestamp parsing at 7% of parse time). Anything else, including zone offsets, returns undefined.
 */
function isoFast(s: string): number | undefined {
  if (s.length < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58)
    return undefined;
  const sep = s.charCodeAt(10);
  if ((sep !== 84 && sep !== 32) || s.charCodeAt(16) !== 58) return undefined;
  const y = num(s, 0, 4);
  const mo = num(s, 5, 2);
  const d = num(s, 8, 2);
  const h = num(s, 11, 2);
  const mi = num(s, 14, 2);
  const sec = num(s, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return undefined;
  let i = 19;
  let ms = 0;
  const dot = s.charCodeAt(i);
  if (dot === 46 || dot === 44) {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    if (j === i + 1 || j - i - 1 > 9) return undefined;
    ms = fractionMs(s, i + 1, j);
    i = j;
  }
  if (i < s.length && !(i === s.length - 1 && s.charCodeAt(i) === 90)) return undefined;
  return atTime(y, mo - 1, d, h, mi, sec, ms, 0);
}

// Syslog and C `asctime` shapes (`Dec 10 06:55:46`, `Sun Dec 04 04:47:44 2005`) in one regex;
// other worded dates take the general month-name path.
const WORDED =
  /^(?:[A-Za-z]{3},? )?([A-Za-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?(?: (\d{4}))?$/;

function worded(s: string, now: number): number | undefined {
  const m = WORDED.exec(s);
  const mon = m ? monthOf(m[1]) : undefined;
  if (!m || mon === undefined) return monthName(s, now);
  if (m[7]) return build(+m[7], mon, +m[2], +m[3], +m[4], +m[5], m[6]);
  return withoutYear(now, mon, +m[2], +m[3], +m[4], +m[5], m[6]);
}

// `Sun Dec 04 04:47:44 2005`, `Dec 10 06:55:46`, `Feb  7 2026 06:34:01 +0100`, `07 Feb 2026 ...`.
function monthName(s: string, now: number): number | undefined {
  const mm = MONTH_IN.exec(s);
  const tm = TIME_IN.exec(s);
  if (!mm || !tm) return undefined;
  // MONTH_IN matched one of the twelve names.
  const mon = monthOf(mm[1])!;
  const rest = s.replace(tm[0], ' ').replace(ZONE_IN, ' ');
  const year = YEAR_IN.exec(rest);
  const day = DAY_IN.exec(rest.replace(year ? year[0] : '\u0000', ' '));
  if (!day) return undefined;
  const zone = ZONE_IN.exec(s)?.[1];
  if (year) return build(+year[1], mon, +day[1], +tm[1], +tm[2], +tm[3], tm[4], zone);
  return withoutYear(now, mon, +day[1], +tm[1], +tm[2], +tm[3], tm[4]);
}

// The receive time is the same for a whole batch: its year is computed once, not with a Date per line.
let yearNow = Number.NaN;
let yearOfNow = 0;
function yearOf(now: number): number {
  if (now !== yearNow) {
    yearOfNow = new Date(now).getUTCFullYear();
    yearNow = now;
  }
  return yearOfNow;
}

function withoutYear(
  now: number,
  mon: number,
  day: number,
  h: number,
  mi: number,
  sec: number,
  frac?: string,
) {
  const year = yearOf(now);
  const t = build(year, mon, day, h, mi, sec, frac);
  if (t !== undefined && t > now + DAY_MS) return build(year - 1, mon, day, h, mi, sec, frac);
  return t;
}

let monthYear = Number.NaN;
let monthIndex = -1;
let monthStart = Number.NaN;

function build(
  year: number,
  mon: number,
  day: number,
  h: number,
  mi: number,
  sec: number,
  frac?: string,
  zone?: string,
): number | undefined {
  let offset = 0;
  if (zone && !UTC_NAME.test(zone)) {
    const z = OFFSET.exec(zone);
    if (!z) return undefined;
    offset = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
    if (z[1] !== '+') offset = -offset;
  }
  return atTime(year, mon, day, h, mi, sec, frac ? fractionToMs(frac) : 0, offset);
}

const fractionToMs = (frac: string): number => Math.floor(Number(`0.${frac}`) * 1000);
// `fractionToMs` of every fraction of one to three digits, indexed by 10^digits + value (`.5` is
// 15, `.05` 105, `.123` 1123): no string per line for the usual millisecond fractions.
const FRACTION_MS: number[] = [];
for (let len = 1; len <= 3; len++)
  for (let v = 0; v < 10 ** len; v++) FRACTION_MS[10 ** len + v] = fractionToMs(String(v).padStart(len, '0'));

/** `fractionToMs` of the digits `s[from..to)`. */
function fractionMs(s: string, from: number, to: number): number {
  if (to - from > 3) return fractionToMs(s.slice(from, to));
  return FRACTION_MS[10 ** (to - from) + num(s, from, to - from)];
}

/** Epoch ms of a UTC wall time, minus `offset` (the zone's offset from UTC, ms); undefined if out of range. */
function atTime(
  year: number,
  mon: number,
  day: number,
  h: number,
  mi: number,
  sec: number,
  ms: number,
  offset: number,
): number | undefined {
  if (mon < 0 || mon > 11 || day < 1 || day > 31 || h > 24 || mi > 59 || sec > 60) return undefined;
  // Date.UTC is linear in the day and time fields, so only the month's start needs it; neighbouring
  // lines share the month (profiling put Date.UTC at ~3% of parse time).
  if (year !== monthYear || mon !== monthIndex) {
    monthStart = Date.UTC(year, mon, 1);
    monthYear = year;
    monthIndex = mon;
  }
  let t = Number.isFinite(monthStart)
    ? monthStart + (day - 1) * DAY_MS + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms
    : Date.UTC(year, mon, day, h, mi, sec, ms);
  // Date.UTC's TimeClip.
  if (!(Math.abs(t) <= 8.64e15)) return undefined;
  t -= offset;
  return Number.isFinite(t) ? t : undefined;
}

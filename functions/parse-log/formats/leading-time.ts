// Finds where a timestamp written at a given offset ends, by scanning characters (no regex, no
// allocation): the shapes log lines start with. Reading the time is timestamp.ts's job; this only
// says how much of the line is the timestamp, so it can be cut from the message.
import { monthOf } from '../timestamp.js';
import { isDigit } from './scan.js';

const isLetter = (c: number) => (c | 32) >= 97 && (c | 32) <= 122;

/** Index after a run of `min`..`max` digits at `i`, or -1. */
function digits(s: string, i: number, min: number, max: number): number {
  let j = i;
  while (j < s.length && j - i < max && isDigit(s.charCodeAt(j))) j++;
  return j - i >= min && !(j < s.length && isDigit(s.charCodeAt(j))) ? j : -1;
}

/** `H:MM:SS` or `HH:MM:SS`, then an optional `.`/`,` fraction of 1-9 digits. */
export function clockEnd(s: string, i: number): number {
  let j = digits(s, i, 1, 2);
  if (j < 0 || s.charCodeAt(j) !== 58) return -1;
  j = digits(s, j + 1, 2, 2);
  if (j < 0 || s.charCodeAt(j) !== 58) return -1;
  j = digits(s, j + 1, 2, 2);
  if (j < 0) return -1;
  const f = s.charCodeAt(j);
  if (f === 46 || f === 44) {
    const k = digits(s, j + 1, 1, 9);
    if (k > 0) return k;
  }
  return j;
}

/**
 * A date, then `T`, `_` or spaces, a clock, and a zone: `Z`, `+hh:mm`, `+hhmm`, `+hh`, or ` UTC`/` GMT`.
 * Dates: `YYYY-MM-DD`, `YYYY/MM/DD`, `YY/MM/DD` or `YY-MM-DD` (log4j's `yy/MM/dd`), `MM/DD/YYYY`, the
 * shapes timestamp.ts reads.
 */
export function isoEnd(s: string, i: number): number {
  let j = digits(s, i, 1, 4);
  const sep = s.charCodeAt(j);
  if (j < 0 || (sep !== 45 && sep !== 47)) return -1;
  const first = j - i;
  j = digits(s, j + 1, 1, 2);
  if (j < 0 || s.charCodeAt(j) !== sep) return -1;
  const third = j + 1;
  j = digits(s, third, 1, 4);
  if (j < 0) return -1;
  if (!knownDate(first, j - third, sep)) return -1;
  const t = s.charCodeAt(j);
  if (t === 84 || t === 95) j++;
  else if (t === 32) while (s.charCodeAt(j) === 32) j++;
  else return -1;
  j = clockEnd(s, j);
  if (j < 0) return -1;
  return zoneEnd(s, j);
}

/** The digit counts of those dates: 4-(1|2)-(1|2), 2-2-2, (1|2)/(1|2)/4. */
function knownDate(first: number, last: number, sep: number): boolean {
  if (first === 4) return last <= 2;
  if (last === 4) return sep === 47;
  return first === 2 && last === 2;
}

function zoneEnd(s: string, j: number): number {
  const z = s.charCodeAt(j);
  if (z === 90) return j + 1;
  if (z === 43 || z === 45) {
    const h = digits(s, j + 1, 2, 4);
    if (h === j + 3 && s.charCodeAt(h) === 58) {
      const m = digits(s, h + 1, 2, 2);
      if (m > 0) return m;
    }
    if (h === j + 3 || h === j + 5) return h;
    return j;
  }
  if (z === 32 && j + 4 <= s.length) {
    const a = s.charCodeAt(j + 1);
    const b = s.charCodeAt(j + 2);
    const c = s.charCodeAt(j + 3);
    const end = j + 4 === s.length || s.charCodeAt(j + 4) === 32;
    if (end && ((a === 85 && b === 84 && c === 67) || (a === 71 && b === 77 && c === 84))) return j + 4;
  }
  return j;
}

/** A three-letter month name at `i` (`May`, `may`, `MAY`). */
export function isMonthAt(s: string, i: number): boolean {
  return (
    isLetter(s.charCodeAt(i)) &&
    isLetter(s.charCodeAt(i + 1)) &&
    isLetter(s.charCodeAt(i + 2)) &&
    monthOf(s.slice(i, i + 3)) !== undefined
  );
}

/**
 * `Mmm dd HH:MM:SS` (syslog; `Mmm  d` too), optionally after a weekday (`Wed `, `Wed, `) and followed
 * by a fraction and ` YYYY` (C's asctime, Apache's error log).
 */
export function wordedEnd(s: string, i: number): number {
  let j = i;
  if (isLetter(s.charCodeAt(j)) && !isMonthAt(s, j)) {
    // A weekday: three letters, an optional comma, a space.
    if (!isLetter(s.charCodeAt(j + 1)) || !isLetter(s.charCodeAt(j + 2))) return -1;
    j += 3;
    if (s.charCodeAt(j) === 44) j++;
    if (s.charCodeAt(j) !== 32) return -1;
    j++;
  }
  if (!isMonthAt(s, j) || s.charCodeAt(j + 3) !== 32) return -1;
  j += 4;
  while (s.charCodeAt(j) === 32) j++;
  j = digits(s, j, 1, 2);
  if (j < 0 || s.charCodeAt(j) !== 32) return -1;
  j = clockEnd(s, j + 1);
  if (j < 0) return -1;
  if (s.charCodeAt(j) === 32) {
    const y = digits(s, j + 1, 4, 4);
    if (y > 0 && (y === s.length || !isLetter(s.charCodeAt(y)))) return y;
  }
  return j;
}

/** `dd Mmm YYYY HH:MM:SS[.fff]` (Redis). */
export function dayMonthEnd(s: string, i: number): number {
  let j = digits(s, i, 1, 2);
  if (j < 0 || s.charCodeAt(j) !== 32 || !isMonthAt(s, j + 1) || s.charCodeAt(j + 4) !== 32) return -1;
  j = digits(s, j + 5, 4, 4);
  if (j < 0 || s.charCodeAt(j) !== 32) return -1;
  return clockEnd(s, j + 1);
}

// Epoch times from 2001-09-09 (1e9 s) to 2100: ten digits starting 1-4; thirteen for milliseconds.
/** Epoch seconds (`1714564800`, `1714564800.123`) or milliseconds (`1714564800123`), then a space or `: `. */
export function epochEnd(s: string, i: number): number {
  const first = s.charCodeAt(i);
  if (first < 49 || first > 52) return -1;
  let j = digits(s, i, 10, 13);
  if (j < 0) return -1;
  if (j - i === 10 && s.charCodeAt(j) === 46) {
    const k = digits(s, j + 1, 1, 9);
    if (k < 0) return -1;
    j = k;
  } else if (j - i !== 10 && j - i !== 13) return -1;
  const c = s.charCodeAt(j);
  return c === 32 || (c === 58 && s.charCodeAt(j + 1) === 32) ? j : -1;
}

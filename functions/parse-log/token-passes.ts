// Passes over a line's whole tokens after each was masked (mask.ts): units that belong to a number,
// dates and booleans inside the message, an HTTP status kept with its protocol, quoted values of several
// tokens. Each works in place over the first `n` entries of the line's raw and masked tokens.
import { isDigit, isKey, WILDCARD } from './mask.js';

// Units written after a number belong to the value: `1.02 KB)` is one variable, as LogPAI's own
// preprocessing regexes treat `[KGTM]B` and `<1 sec` (formats.json, Spark and Proxifier).
const UNIT = /^(?:[KMGTP]i?B|kB|B|sec|secs|mins?)([)\],;:.]*)$/;

// First characters of UNIT, as a table: the check runs on every token of every line.
const UNIT_START = new Uint8Array(128);
for (const ch of 'KMGTPBkmuns') UNIT_START[ch.charCodeAt(0)] = 1;

/**
 * Folds each unit token into the masked number before it, in place over the first `n` entries of
 * `raw` and `masked`; returns the new count (`n` when the line has no unit, the common case).
 */
export function absorbUnits(raw: string[], masked: string[], n: number): number {
  let hit = false;
  for (let i = 1; i < n; i++) {
    if (
      masked[i].length <= 10 &&
      UNIT_START[masked[i].charCodeAt(0) & 127] === 1 &&
      UNIT.test(masked[i]) &&
      masked[i - 1].endsWith(WILDCARD)
    ) {
      hit = true;
      break;
    }
  }
  if (!hit) return n;
  // `w` never passes `i`, so the compaction reads each entry before it can be overwritten.
  let w = 0;
  for (let i = 0; i < n; i++) {
    // The cheap conditions first: the regex runs only for a token that may be a unit after a value.
    const u =
      i > 0 && w > 0 && UNIT_START[masked[i].charCodeAt(0) & 127] === 1 && masked[w - 1].endsWith(WILDCARD)
        ? UNIT.exec(masked[i])
        : null;
    if (u) {
      masked[w - 1] += u[1];
      raw[w - 1] += ` ${raw[i]}`;
    } else {
      raw[w] = raw[i];
      masked[w] = masked[i];
      w++;
    }
  }
  return w;
}

// Month and weekday names written next to a number are part of a date inside the message
// (`... at Sun Jul 3 10:05:25 2005`): masked with it, or every weekday and month would make its own
// template. Capitalised or upper-case only, so `may` the verb stays a word.
const MONTHS = new Set(
  'Jan Feb Mar Apr May Jun Jul Aug Sep Sept Oct Nov Dec January February March April June July August September October November December'
    .split(' ')
    .flatMap((m) => [m, m.toUpperCase()]),
);
const WEEKDAYS = new Set(
  'Mon Tue Wed Thu Fri Sat Sun Monday Tuesday Wednesday Thursday Friday Saturday Sunday'
    .split(' ')
    .flatMap((d) => [d, d.toUpperCase()]),
);

// Booleans and the words programs print for "no value" are values like a number, whatever their case.
const BOOLEANS = new Set(
  'true false True False TRUE FALSE null NULL Null None nil undefined (null) <none> <null>'.split(' '),
);

/** The month name of a masked token, ignoring one trailing `,` or `.`. */
function monthWord(t: string): boolean {
  const c = t.charCodeAt(0);
  if (c < 65 || c > 90 || t.length < 3 || t.length > 10) return false;
  const e = t.charCodeAt(t.length - 1);
  return MONTHS.has(e === 44 || e === 46 ? t.slice(0, -1) : t);
}

/**
 * Masks booleans, and month names next to a masked number (`Jul 3`, `3 Jul`) with a weekday name before
 * such a month, in place over the first `n` entries of `masked`; true when anything changed (the shape hash is then stale).
 */
export function maskDateWords(masked: string[], n: number): boolean {
  let hit = false;
  for (let i = 0; i < n; i++) {
    const t = masked[i];
    if (BOOLEANS.has(t)) {
      masked[i] = WILDCARD;
      hit = true;
      continue;
    }
    if (!monthWord(t)) continue;
    const next = i + 1 < n && masked[i + 1].startsWith(WILDCARD);
    const prev = i > 0 && masked[i - 1].endsWith(WILDCARD);
    if (!next && !prev) continue;
    masked[i] = WILDCARD;
    hit = true;
    if (i > 0 && WEEKDAYS.has(masked[i - 1].replace(/,$/, ''))) masked[i - 1] = WILDCARD;
  }
  return hit;
}

/** Tokens a quoted value may span before it is taken for unbalanced text instead. */
const MAX_QUOTED_TOKENS = 64;

/**
 * A quoted value of several tokens after a key (`request: "GET /a HTTP/1.1",`, `msg="disk is full"`) is
 * one variable: its words are the value's, not the event's. Collapses each such run into one token in
 * place over the first `n` entries of `raw` and `masked`; returns the new count (`n` when none).
 */
export function collapseQuotedValues(raw: string[], masked: string[], n: number): number {
  let w = 0;
  let changed = false;
  for (let i = 0; i < n; i++) {
    const t = raw[i];
    const q = t.charCodeAt(0) === 34 ? 0 : keyQuote(t);
    let end = -1;
    if (q >= 0 && (q > 0 || (i > 0 && raw[i - 1].endsWith(':'))) && !closesQuote(t, q + 1)) {
      for (let j = i + 1; j < n && j - i <= MAX_QUOTED_TOKENS; j++) {
        if (raw[j].includes('"')) {
          if (closesQuote(raw[j], 0)) end = j;
          break;
        }
      }
    }
    if (end < 0) {
      raw[w] = raw[i];
      masked[w] = masked[i];
      w++;
      continue;
    }
    const last = raw[end];
    const close = last.lastIndexOf('"');
    raw[w] = raw.slice(i, end + 1).join(' ');
    masked[w] = `${t.slice(0, q + 1)}${WILDCARD}${last.slice(close)}`;
    w++;
    i = end;
    changed = true;
  }
  return changed ? w : n;
}

/** Where `key="` opens a quote in a token (the quote's index), or -1. */
function keyQuote(t: string): number {
  const eq = t.indexOf('="');
  return eq > 0 && isKey(t, eq) ? eq + 1 : -1;
}

/** Whether the token closes a double quote at or after `from`: `..."` with only `,;.)` after it. */
function closesQuote(t: string, from: number): boolean {
  const at = t.lastIndexOf('"');
  if (at < from) return false;
  for (let k = at + 1; k < t.length; k++) if (!',;.)]'.includes(t[k])) return false;
  return true;
}

const HTTP_PROTOCOL = /^"?HTTP\/\d(?:\.\d)?"?$/;
function isHttpProtocol(t: string): boolean {
  return (t.charCodeAt(0) === 72 || t.charCodeAt(0) === 34) && HTTP_PROTOCOL.test(t);
}
function isStatus(t: string): boolean {
  if (t.length !== 3) return false;
  const a = t.charCodeAt(0);
  return a >= 49 && a <= 53 && isDigit(t.charCodeAt(1)) && isDigit(t.charCodeAt(2));
}

/**
 * An HTTP status right after the protocol (`"GET /a HTTP/1.1" 404`) names the outcome, so it is part of
 * the event (a burst of 500s is then a spike of its own template): joined to the protocol token as one
 * constant, in place over the first `n` entries; returns the new count.
 */
export function keepHttpStatus(raw: string[], masked: string[], n: number): number {
  let k = -1;
  for (let i = 0; i + 1 < n; i++) {
    const t = masked[i];
    if (t.length >= 6 && t.length <= 10 && isHttpProtocol(t) && isStatus(raw[i + 1])) {
      k = i;
      break;
    }
  }
  if (k < 0) return n;
  raw[k] = `${raw[k]} ${raw[k + 1]}`;
  masked[k] = `${masked[k]} ${raw[k + 1]}`;
  for (let i = k + 1; i + 1 < n; i++) {
    raw[i] = raw[i + 1];
    masked[i] = masked[i + 1];
  }
  return n - 1;
}

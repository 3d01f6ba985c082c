// logfmt: `key=value key2="quoted value"`. An unclosed quote takes the rest of the line and flags
// `bad_logfmt`; a line needs two or more pairs to count as logfmt at all.
import { FNV_OFFSET, FNV_PRIME, internSlice } from '../intern.js';
import { fromRecord } from './structured.js';
import type { FieldValue, ParsedLine } from './types.js';

// The grammar, as a regex: /\s*([\w.@/-]+)=("((?:[^"\\]|\\.)*)("?)|[^\s"]*)/y. The scanner below reads
// exactly that, without a match array and capture strings per pair (~1.5 KB of garbage per line).

export function parseLogfmt(line: string): ParsedLine | undefined {
  const rec: Record<string, FieldValue> = {};
  let pairs = 0;
  let bad = false;
  const n = line.length;
  let pos = 0;
  while (pos < n) {
    let i = pos;
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    const keyStart = i;
    let h = FNV_OFFSET;
    // Never read past the end: charCodeAt's NaN there would make the loop's `c` a double.
    for (; i < n; i++) {
      const c = line.charCodeAt(i);
      if (!isKeyChar(c)) break;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    if (i === keyStart || i === n || line.charCodeAt(i) !== 61 /* = */) {
      if (line.slice(pos).trim() === '') break;
      if (line.charCodeAt(pos) === 34 || line.indexOf('"', pos) >= 0) bad = true;
      if (pairs < 2) return undefined;
      // Trailing free text after the pairs is kept as a field, not dropped.
      rec._rest = line.slice(pos).trim();
      break;
    }
    // Keys repeat line after line; values mostly do not, and a table miss costs more than a slice
    // (measured: keys only 25% faster than the regex, keys and values no faster).
    const key = internSlice(line, keyStart, i, h);
    i++;
    const start = i;
    if (i < n && line.charCodeAt(i) === 34 /* " */) {
      // Quoted: up to the first unescaped quote; `\x` is an escape unless x is a line terminator
      // (the regex's `.`) or the line ends.
      let escaped = false;
      i++;
      while (i < n) {
        const c = line.charCodeAt(i);
        if (c === 34) break;
        if (c === 92 /* \ */) {
          if (i + 1 === n || isLineTerminator(line.charCodeAt(i + 1))) break;
          escaped = true;
          i += 2;
          continue;
        }
        i++;
      }
      const closed = i < n && line.charCodeAt(i) === 34;
      if (!closed) bad = true;
      // Unescape only when there is an escape (rare): no regex pass over every quoted value.
      rec[key] = escaped ? line.slice(start + 1, i).replace(/\\(.)/g, '$1') : line.slice(start + 1, i);
      if (closed) i++;
    } else {
      for (; i < n; i++) {
        const c = line.charCodeAt(i);
        if (c === 34 || isSpace(c)) break;
      }
      rec[key] = line.slice(start, i);
    }
    pairs++;
    pos = i;
  }
  if (pairs < 2) return undefined;
  const out = fromRecord('logfmt', rec, line);
  if (bad) out.problems = ['bad_logfmt'];
  return out;
}

/** `[\w.@/-]` */
function isKeyChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 64 && c <= 90) || // @ and A-Z
    (c >= 45 && c <= 57) || // - . / and 0-9
    c === 95
  );
}

/** JavaScript's `\s`: WhiteSpace and LineTerminator. */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** What the regex `.` does not match. */
function isLineTerminator(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

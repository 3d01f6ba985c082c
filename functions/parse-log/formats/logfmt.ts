// logfmt: `key=value key2="quoted value"`. An unclosed quote takes the rest of the line and flags
// `bad_logfmt`; a line needs two or more pairs to count as logfmt at all.
import { fromRecord } from './structured.js';
import type { FieldValue, ParsedLine } from './types.js';

const PAIR = /\s*([\w.@/-]+)=("((?:[^"\\]|\\.)*)("?)|[^\s"]*)/y;

export function parseLogfmt(line: string): ParsedLine | undefined {
  const rec: Record<string, FieldValue> = {};
  let pairs = 0;
  let bad = false;
  PAIR.lastIndex = 0;
  let pos = 0;
  while (pos < line.length) {
    PAIR.lastIndex = pos;
    const m = PAIR.exec(line);
    if (!m) {
      if (line.slice(pos).trim() === '') break;
      if (line.charCodeAt(pos) === 34 || line.indexOf('"', pos) >= 0) bad = true;
      if (pairs < 2) return undefined;
      // Trailing free text after the pairs is kept as a field, not dropped.
      rec._rest = line.slice(pos).trim();
      break;
    }
    if (m[3] !== undefined) {
      if (m[4] !== '"') bad = true;
      // Unescape only when there is an escape (rare): no regex pass over every quoted value.
      rec[m[1]] = m[3].includes('\\') ? m[3].replace(/\\(.)/g, '$1') : m[3];
    } else rec[m[1]] = m[2];
    pairs++;
    pos = PAIR.lastIndex;
  }
  if (pairs < 2) return undefined;
  const out = fromRecord('logfmt', rec, line);
  if (bad) out.problems = ['bad_logfmt'];
  return out;
}

// Layouts of particular programs, each after its leading timestamp: klog/glog, Redis, Windows CBS,
// rsyslog's file format, PostgreSQL. Called by stamped.ts, which finds the timestamp.
import type { Level } from '../../../core/event.js';
import { clockEnd, dayMonthEnd } from './leading-time.js';
import { digitsEnd, isDigit, levelWord, skipSpaces, wordEnd } from './scan.js';
import type { FieldValue, ParsedLine } from './types.js';

/** klog/glog: `I0501 12:00:00.123456    1 file.go:12] msg` (level letter, month and day, time, thread, caller). */
export function klog(line: string): ParsedLine | undefined {
  const l = line.charCodeAt(0);
  const level: Level | undefined =
    l === 73 ? 'info' : l === 87 ? 'warn' : l === 69 ? 'error' : l === 70 ? 'fatal' : undefined;
  if (!level || !isDigit(line.charCodeAt(1)) || !isDigit(line.charCodeAt(4)) || line.charCodeAt(5) !== 32)
    return undefined;
  if (!isDigit(line.charCodeAt(2)) || !isDigit(line.charCodeAt(3))) return undefined;
  const end = clockEnd(line, 6);
  if (end < 0 || line.charCodeAt(end) !== 32) return undefined;
  let i = skipSpaces(line, end);
  const t = digitsEnd(line, i);
  if (t === i || line.charCodeAt(t) !== 32) return undefined;
  const close = line.indexOf('] ', t);
  if (close < 0 || close - t > 200) return undefined;
  const fields: Record<string, FieldValue> = {
    tid: Number(line.slice(i, t)),
    caller: line.slice(t + 1, close),
  };
  i = close + 2;
  return { format: 'klog', tsText: line.slice(1, end), level, message: line.slice(i), fields };
}

/** Redis: `123:M 01 May 2024 12:00:00.123 * msg` (pid, role, time, level mark `.`, `-`, `*`, `#`). */
export function redis(line: string): ParsedLine | undefined {
  const p = digitsEnd(line, 0);
  if (line.charCodeAt(p) !== 58 || line.charCodeAt(p + 2) !== 32) return undefined;
  const role = line[p + 1];
  if (role !== 'M' && role !== 'S' && role !== 'C' && role !== 'X') return undefined;
  const end = dayMonthEnd(line, p + 3);
  if (end < 0 || line.charCodeAt(end) !== 32 || line.charCodeAt(end + 2) !== 32) return undefined;
  const mark = line[end + 1];
  const level: Level | undefined =
    mark === '#' ? 'warn' : mark === '*' ? 'info' : mark === '.' || mark === '-' ? 'debug' : undefined;
  if (!level) return undefined;
  return {
    format: 'redis',
    tsText: line.slice(p + 3, end),
    level,
    message: line.slice(end + 3),
    fields: { pid: Number(line.slice(0, p)), role },
  };
}

/** Windows CBS: `2016-09-28 04:30:30, Info                  CBS    msg`. */
export function cbs(line: string, end: number): ParsedLine | undefined {
  const w = wordEnd(line, end + 2);
  const level = levelWord(line.slice(end + 2, w), false);
  if (!level || line.charCodeAt(w) !== 32) return undefined;
  const c = skipSpaces(line, w);
  const ce = wordEnd(line, c);
  if (ce === c) return undefined;
  return {
    format: 'cbs',
    tsText: line.slice(0, end),
    level,
    message: line.slice(skipSpaces(line, ce)),
    fields: { component: line.slice(c, ce) },
  };
}

/** `2024-05-01T12:00:00.123456+00:00 host prog[123]: msg`. */
export function isoSyslog(line: string, end: number): ParsedLine | undefined {
  if (line.charCodeAt(end) !== 32) return undefined;
  const h = end + 1;
  const he = wordEnd(line, h);
  if (he === h || line.charCodeAt(he) !== 32) return undefined;
  for (let i = h; i < he; i++) if (line.charCodeAt(i) === 58 || line.charCodeAt(i) === 91) return undefined;
  const t = he + 1;
  let te = t;
  for (let c = line.charCodeAt(te); te < line.length && c !== 58 && c !== 91 && c !== 32; )
    c = line.charCodeAt(++te);
  if (te === t) return undefined;
  let pid: number | undefined;
  let i = te;
  if (line.charCodeAt(i) === 91) {
    const pe = digitsEnd(line, i + 1);
    if (pe === i + 1 || line.charCodeAt(pe) !== 93) return undefined;
    pid = Number(line.slice(i + 1, pe));
    i = pe + 1;
  }
  if (line.charCodeAt(i) !== 58 || (i + 1 < line.length && line.charCodeAt(i + 1) !== 32)) return undefined;
  const out: ParsedLine = {
    format: 'syslog',
    tsText: line.slice(0, end),
    host: line.slice(h, he),
    service: line.slice(t, te),
    message: line.slice(Math.min(i + 2, line.length)),
  };
  if (pid !== undefined) out.fields = { pid };
  return out;
}

/** PostgreSQL after `[pid]`: an optional `user@db`, then `LOG:  msg`, `ERROR:  msg`, `DETAIL:  ...`. */
export function postgres(line: string, i: number, pid: number, out: ParsedLine): ParsedLine {
  const fields: Record<string, FieldValue> = { pid };
  let w = wordEnd(line, i);
  let at = i;
  while (at < w && line.charCodeAt(at) !== 64 /* @ */) at++;
  if (at < w && line.charCodeAt(w) === 32) {
    if (at > i) fields.user = line.slice(i, at);
    if (w > at + 1) fields.database = line.slice(at + 1, w);
    i = skipSpaces(line, w);
    w = wordEnd(line, i);
  }
  if (line.charCodeAt(w - 1) === 58) {
    const word = line.slice(i, w - 1);
    const lv = PG_LEVELS.get(word) ?? levelWord(word, true);
    if (lv) {
      out.level = lv;
      out.format = 'postgres';
      i = skipSpaces(line, w);
    }
  }
  out.fields = fields;
  out.message = line.slice(i);
  return out;
}

// PostgreSQL's own severities beyond the usual names; DETAIL, HINT, ... annotate the line before.
const PG_LEVELS = new Map<string, Level>([
  ['LOG', 'info'],
  ['DETAIL', 'info'],
  ['HINT', 'info'],
  ['CONTEXT', 'info'],
  ['STATEMENT', 'info'],
  ['QUERY', 'info'],
  ['LOCATION', 'info'],
  ['DEBUG1', 'debug'],
  ['DEBUG2', 'debug'],
  ['DEBUG3', 'debug'],
  ['DEBUG4', 'debug'],
  ['DEBUG5', 'debug'],
]);

// Lines that start with a timestamp and are not one of the stricter formats (syslog, access log,
// Python, log4j with a full date): dpkg, Go's log, nginx and Apache error logs, logback, PostgreSQL,
// Redis, RabbitMQ, klog/glog, Windows CBS, epoch-prefixed lines and apt's `Start-Date: ...` headers.
// The timestamp (and a level, thread, pid or logger the layout puts before the message) is cut from
// the message, so it cannot split the template. Character scans, no regex (see leading-time.ts).
import type { Level } from '../../../core/event.js';
import { parseJsonLine } from './json-line.js';
import { clockEnd, dayMonthEnd, epochEnd, isoEnd, wordedEnd } from './leading-time.js';
import { parseLogfmt } from './logfmt.js';
import { cbs, isoSyslog, klog, postgres, redis } from './program-layouts.js';
import {
  bracketEnd,
  digitsEnd,
  isAllDigits,
  isDigit,
  isUpper,
  levelWord,
  skipSpaces,
  wordEnd,
} from './scan.js';
import type { FieldValue, ParsedLine } from './types.js';

export function parseStamped(line: string): ParsedLine | undefined {
  const c = line.charCodeAt(0);
  if (isDigit(c)) return digitFirst(line);
  if (c === 91 /* [ */) return bracketed(line);
  if (isUpper(c)) return klog(line) ?? wordedFirst(line) ?? header(line);
  if (c >= 97 && c <= 122) return header(line);
  return undefined;
}

function digitFirst(line: string): ParsedLine | undefined {
  let end = isoEnd(line, 0);
  if (end > 0) {
    const c = line.charCodeAt(end);
    if (c === 44 && line.charCodeAt(end + 1) === 32) return cbs(line, end) ?? tail(line, end + 2, end, 0);
    // rsyslog's file format: `2024-05-01T12:00:00.123+00:00 host prog[1]: msg` (T and a zone).
    if (line.charCodeAt(10) === 84 && hasZone(line, end)) {
      const s = isoSyslog(line, end);
      if (s) return s;
    }
    return tail(line, end, end, 0);
  }
  if ((end = epochEnd(line, 0)) > 0)
    // Mosquitto: `1714564800: msg`.
    return tail(line, line.charCodeAt(end) === 58 ? end + 1 : end, end, 0);
  if ((end = clockEnd(line, 0)) > 0 || (end = dayMonthEnd(line, 0)) > 0) return tail(line, end, end, 0);
  return redis(line);
}

function wordedFirst(line: string): ParsedLine | undefined {
  const end = wordedEnd(line, 0);
  return end > 0 ? tail(line, end, end, 0) : undefined;
}

/** `[2024-05-01T12:00:00Z] ...`, `[Wed May 01 12:00:00.123456 2024] [core:error] ...` (Apache). */
function bracketed(line: string): ParsedLine | undefined {
  let end = isoEnd(line, 1);
  let worded = false;
  if (end < 0) {
    end = wordedEnd(line, 1);
    worded = end > 0;
  }
  if (end < 0) end = clockEnd(line, 1);
  if (end < 0) return pidFirst(line);
  let level: Level | undefined;
  // Serilog's console default: `[12:00:00 INF] msg`.
  const close = line.indexOf(']', end);
  if (line.charCodeAt(end) === 32 && close > end && close - end <= 12) {
    level = levelWord(line.slice(end + 1, close), true);
    if (!level) return undefined;
  } else if (line.charCodeAt(end) !== 93 /* ] */) return undefined;
  const out = tail(line, (level ? close : end) + 1, end, 1);
  if (level && !out.level) out.level = level;
  // Apache 2.2 has no `module:` before the level: `[Wed May 01 12:00:00 2024] [error] [client ..] msg`.
  if (worded && out.level && out.format === 'timestamped') out.format = 'apache_error';
  return out;
}

/** NATS: `[2994] 2024/05/01 12:00:00.073279 [INF] msg`, a pid before the timestamp. */
function pidFirst(line: string): ParsedLine | undefined {
  const close = digitsEnd(line, 1);
  if (close === 1 || close > 11 || line.charCodeAt(close) !== 93 || line.charCodeAt(close + 1) !== 32)
    return undefined;
  const end = isoEnd(line, close + 2);
  if (end < 0) return undefined;
  const out = tail(line, end, end, close + 2);
  out.fields = { pid: Number(line.slice(1, close)), ...out.fields };
  return out;
}

/** `Log started: 2024-05-01  12:00:00`, `Start-Date: 2024-05-01  12:00:00` (apt): a label, then only a time. */
function header(line: string): ParsedLine | undefined {
  // update-alternatives: `update-alternatives 2024-05-01 12:00:00: msg`, a program before the time.
  const w = wordEnd(line, 0);
  if (w < 40 && line.charCodeAt(w) === 32 && isDigit(line.charCodeAt(w + 1))) {
    const e = isoEnd(line, w + 1);
    if (e > 0 && line.charCodeAt(e) === 58 && line.charCodeAt(e + 1) === 32) {
      const message = line.slice(skipSpaces(line, e + 1));
      return { format: 'timestamped', tsText: line.slice(w + 1, e), service: line.slice(0, w), message };
    }
  }
  const n = Math.min(line.length, 40);
  let i = 1;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 58 /* : */) break;
    if (!(c === 32 || c === 45 || c === 95 || isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 122)))
      return undefined;
  }
  if (i >= n || line.charCodeAt(i + 1) !== 32) return undefined;
  let j = i + 1;
  while (line.charCodeAt(j) === 32) j++;
  if (!isDigit(line.charCodeAt(j))) return undefined;
  const end = isoEnd(line, j);
  if (end < 0 || line.slice(end).trim() !== '') return undefined;
  return { format: 'timestamped', tsText: line.slice(j, end), message: line.slice(0, i + 1) };
}

/**
 * What may sit between the timestamp (`line[from..to)`) and the message, read from `i`: a level
 * (`INFO`, `[error]`, `ERROR:`), a thread (`[main]`), a pid (`[123]`, `123#0:`, `<0.123.0>`), an
 * Apache `[module:level]`, `[pid ..]`, `[client ..]`, a logger before ` - ` or ` : `.
 */
function tail(line: string, i: number, to: number, from: number): ParsedLine {
  const out: ParsedLine = { format: 'timestamped', tsText: line.slice(from, to), message: '' };
  let fields: Record<string, FieldValue> | undefined;
  i = skipSpaces(line, i);
  if (line.charCodeAt(i) === 45 && line.charCodeAt(i + 1) === 32) i = skipSpaces(line, i + 2);
  // MariaDB: a thread id before the level, `0 [Note] msg`.
  const d = digitsEnd(line, i);
  if (d > i && d - i <= 10 && line.charCodeAt(d) === 32 && line.charCodeAt(d + 1) === 91) {
    const ce = bracketEnd(line, d + 1);
    if (ce > 0 && levelWord(line.slice(d + 2, ce).trim(), false)) {
      fields = { tid: Number(line.slice(i, d)) };
      i = d + 1;
    }
  }
  // PostgreSQL writes its zone name (`CEST`) before `[pid]`: cut, not read (no zone is UTC).
  if (isUpper(line.charCodeAt(i))) {
    const z = wordEnd(line, i);
    if (z - i >= 2 && z - i <= 5 && line.charCodeAt(z + 1) === 91 && isDigit(line.charCodeAt(z + 2)))
      i = z + 1;
  }
  // A bracket that is neither a level nor a pid is a thread if a level follows it; else it stays.
  let thread: string | undefined;
  const beforeThread = i;
  let close = bracketEnd(line, i);
  if (close > 0) {
    const inner = line.slice(i + 1, close).trim();
    const colon = inner.lastIndexOf(':');
    const moduleLevel = colon > 0 ? levelWord(inner.slice(colon + 1), false) : undefined;
    out.level = levelWord(inner, false);
    if (!out.level && moduleLevel) {
      out.level = moduleLevel;
      (fields ??= {}).component = inner.slice(0, colon);
      out.format = 'apache_error';
    } else if (!out.level && isAllDigits(inner))
      return postgres(line, skipSpaces(line, close + 1), Number(inner), out);
    else if (!out.level) thread = inner;
    i = skipSpaces(line, close + 1);
  }
  if (out.level) {
    // Apache: `[pid 1:tid 2] [client 10.0.0.1:5678]`.
    while ((close = bracketEnd(line, i)) > 0) {
      const inner = line.slice(i + 1, close);
      if (inner.startsWith('pid ')) {
        const [pid, tid] = inner.slice(4).split(':tid ');
        (fields ??= {}).pid = Number(pid);
        if (tid !== undefined) fields.tid = Number(tid);
      } else if (inner.startsWith('client ')) (fields ??= {}).client = inner.slice(7);
      else break;
      i = skipSpaces(line, close + 1);
    }
    // nginx: `123#0: *1 msg`.
    const p = digitsEnd(line, i);
    if (p > i && line.charCodeAt(p) === 35 /* # */) {
      const t = digitsEnd(line, p + 1);
      if (t > p + 1 && line.charCodeAt(t) === 58) {
        fields = { pid: Number(line.slice(i, p)), tid: Number(line.slice(p + 1, t)) };
        out.format = 'nginx_error';
        i = skipSpaces(line, t + 1);
        if (line.charCodeAt(i) === 42 /* * */) {
          const ce = digitsEnd(line, i + 1);
          if (ce > i + 1 && line.charCodeAt(ce) === 32) {
            fields.connection = Number(line.slice(i + 1, ce));
            i = ce + 1;
          }
        }
      }
    } else if (line.charCodeAt(i) === 60 /* < */) {
      // RabbitMQ: an Erlang pid, `<0.123.0>`.
      const e = line.indexOf('>', i);
      if (e > i && e - i < 32 && line.charCodeAt(e + 1) === 32 && isDigit(line.charCodeAt(i + 1))) {
        (fields ??= {}).pid = line.slice(i, e + 1);
        out.format = 'rabbitmq';
        i = e + 2;
      }
    }
    if (out.format === 'timestamped') i = javaTail(line, i, undefined, out);
  } else {
    const w = wordEnd(line, i);
    let lv = levelWord(line.slice(i, w), true);
    // `ERROR: msg`
    if (!lv && line.charCodeAt(w - 1) === 58) lv = levelWord(line.slice(i, w - 1), true);
    if (lv) {
      out.level = lv;
      i = skipSpaces(line, w);
      i = javaTail(line, i, thread, out);
    } else if (thread !== undefined) i = beforeThread;
  }
  if (fields) out.fields = out.fields ? { ...fields, ...out.fields } : fields;
  out.message = line.slice(i);
  return out.format === 'timestamped' && !out.level ? record(out) : out;
}

/** After the level of a log4j/logback/Spring line: `1234 --- [thread] logger : msg`, `[thread] a.b.C - msg`. */
function javaTail(line: string, i: number, thread: string | undefined, out: ParsedLine): number {
  const fields: Record<string, FieldValue> = {};
  // Spring Boot: `1234 --- [main] o.s.b.App : msg`.
  const p = digitsEnd(line, i);
  if (p > i && line.startsWith(' --- ', p)) {
    fields.pid = Number(line.slice(i, p));
    i = skipSpaces(line, p + 5);
  }
  for (let close = bracketEnd(line, i); close > 0; close = bracketEnd(line, i)) {
    thread = line.slice(i + 1, close).trim();
    i = skipSpaces(line, close + 1);
  }
  if (thread !== undefined) {
    fields.thread = thread;
    out.format = 'log4j';
    // ZooKeeper's `- LEVEL [thread] - msg`.
    if (line.charCodeAt(i) === 45 && line.charCodeAt(i + 1) === 32) i = skipSpaces(line, i + 2);
  }
  const le = wordEnd(line, i);
  if (le > i && (line.startsWith(' - ', le) || line.startsWith(' : ', le)) && isLoggerName(line, i, le)) {
    fields.logger = line.slice(i, le);
    out.format = 'log4j';
    i = le + 3;
  } else if (
    le > i + 1 &&
    line.charCodeAt(le - 1) === 58 &&
    isLoggerName(line, i, le - 1) &&
    isDotted(line, i, le)
  ) {
    // `INFO org.a.B: msg` (log4j's `%c: %m`): dotted, so `Error: msg` is not taken for a logger.
    fields.logger = line.slice(i, le - 1);
    out.format = 'log4j';
    i = skipSpaces(line, le);
  }
  for (const _ in fields) {
    out.fields = fields;
    break;
  }
  return i;
}

/** A message after the timestamp that is itself a JSON object or logfmt pairs is read as one. */
function record(out: ParsedLine): ParsedLine {
  const msg = out.message;
  const r = msg.charCodeAt(0) === 123 ? parseJsonLine(msg) : msg.includes('=') ? parseLogfmt(msg) : undefined;
  if (!r) return out;
  if (r.tsText === undefined && r.tsMs === undefined) r.tsText = out.tsText;
  return r;
}

/** `[\w.$/-]+` */
function isLoggerName(line: string, i: number, e: number): boolean {
  for (let j = i; j < e; j++) {
    const c = line.charCodeAt(j);
    const letter = (c | 32) >= 97 && (c | 32) <= 122;
    if (!letter && !isDigit(c) && c !== 46 && c !== 36 && c !== 47 && c !== 45 && c !== 95) return false;
  }
  return true;
}

/** Whether the ISO time `line[0..end)` ends with `Z` or an offset. */
function hasZone(line: string, end: number): boolean {
  for (let i = 19; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c === 90 || c === 43 || c === 45) return true;
  }
  return false;
}

function isDotted(line: string, i: number, e: number): boolean {
  for (let j = i + 1; j < e - 1; j++) if (line.charCodeAt(j) === 46 || line.charCodeAt(j) === 36) return true;
  return false;
}

// One syslog message as the connector routes it: the PRI checked, RFC 5424 or RFC 3164 told apart, the
// APP-NAME/TAG (the logfaas source) and HOSTNAME read. Pure. parse-log reads the full message again from
// the forwarded line (host, service, level, time), so this reads only what routing and counting need.

export type MessageProblem = 'empty' | 'bad_pri' | 'bad_header' | 'binary';

export interface SyslogMessage {
  rfc: 5424 | 3164;
  /** Facility * 8 + severity. */
  pri: number;
  host?: string;
  /** RFC 5424 APP-NAME or the RFC 3164 TAG without its `[pid]`; absent when nil or missing. */
  app?: string;
  /** The line parse-log receives: the message with line breaks escaped (see toLine). */
  line: string;
}

const RFC3164_TIME = /^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} /;

/** Reads `text` (one frame or datagram, already without its framing); a problem when it is not syslog. */
export function readMessage(text: string): SyslogMessage | MessageProblem {
  const s = trimEnd(text);
  if (s.length === 0) return 'empty';
  if (s.charCodeAt(0) !== 0x3c /* < */) return 'bad_pri';
  const close = s.indexOf('>', 1);
  if (close < 2 || close > 4) return 'bad_pri';
  let pri = 0;
  for (let i = 1; i < close; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return 'bad_pri';
    pri = pri * 10 + d;
  }
  // RFC 5424 6.2.1: no leading zeros, at most 191 (facility 23, severity 7).
  if (pri > 191 || (close > 2 && s.charCodeAt(1) === 48)) return 'bad_pri';
  if (isBinary(s)) return 'binary';
  const line = toLine(s);
  const rest = close + 1;
  if (s.startsWith('1 ', rest)) return read5424(s, rest + 2, pri, line);
  return read3164(s.slice(rest), pri, line);
}

/** `TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]`. */
function read5424(s: string, from: number, pri: number, line: string): SyslogMessage | MessageProblem {
  const f: string[] = [];
  let pos = from;
  for (let k = 0; k < 5; k++) {
    const sp = s.indexOf(' ', pos);
    if (sp === -1 || sp === pos) return 'bad_header';
    f.push(s.slice(pos, sp));
    pos = sp + 1;
  }
  // TIMESTAMP, HOSTNAME (255), APP-NAME (48), PROCID (128), MSGID (32): printable ASCII, RFC 5424 6.
  const max = [64, 255, 48, 128, 32];
  for (let k = 0; k < 5; k++) if (f[k].length > max[k] || !printable(f[k])) return 'bad_header';
  const sd = s.charCodeAt(pos);
  if (sd !== 0x2d /* - */ && sd !== 0x5b /* [ */) return 'bad_header';
  const nil = (v: string) => (v === '-' ? undefined : v);
  return { rfc: 5424, pri, host: nil(f[1]), app: nil(f[2]), line };
}

/**
 * `Mmm dd hh:mm:ss HOSTNAME TAG[pid]: MSG`. RFC 3164 4.3.3: a message without that header is still one;
 * a first word that ends in `:` is a TAG without a HOSTNAME (as local senders write it).
 */
function read3164(s: string, pri: number, line: string): SyslogMessage {
  if (!RFC3164_TIME.test(s)) return { rfc: 3164, pri, host: undefined, app: undefined, line };
  const first = word(s, 16);
  if (first.endsWith(':')) return { rfc: 3164, pri, host: undefined, app: tagOf(first), line };
  return { rfc: 3164, pri, host: first || undefined, app: tagOf(word(s, 17 + first.length)), line };
}

function word(s: string, from: number): string {
  const sp = s.indexOf(' ', from);
  return s.slice(from, sp === -1 ? s.length : sp);
}

/** The TAG of `tag[pid]:` or `tag:` (RFC 3164 4.1.3, up to 48 characters here); a word without `:` is none. */
function tagOf(w: string): string | undefined {
  let i = 0;
  while (i < w.length && i < 48) {
    const c = w.charCodeAt(i);
    if (c === 0x5b || c === 0x3a) break;
    i++;
  }
  const end = w.charCodeAt(i);
  return i > 0 && (end === 0x3a || (end === 0x5b && w.endsWith(']:'))) ? w.slice(0, i) : undefined;
}

/**
 * More than 10% NUL or undecodable bytes (U+FFFD after UTF-8 decoding): the producer refuses a body past
 * that share as binary (functions/producer/split.ts, BINARY_SHARE), so one such message could cost its
 * whole batch; it is dropped alone instead. A few bad bytes stay (parse-log flags the line).
 */
function isBinary(s: string): boolean {
  if (s.indexOf('\ufffd') === -1 && s.indexOf('\0') === -1) return false;
  let bad = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0xfffd || c === 0) bad++;
  }
  return bad * 10 > s.length;
}

function printable(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** Trailing LF, CR, NUL and spaces are framing left by senders, not message. */
function trimEnd(s: string): string {
  let e = s.length;
  while (e > 0) {
    const c = s.charCodeAt(e - 1);
    if (c !== 10 && c !== 13 && c !== 0 && c !== 32) break;
    e--;
  }
  return e === s.length ? s : s.slice(0, e);
}

/**
 * The producer splits lines on LF, so a message that carries line breaks (octet-counted or UDP) has them
 * written as `#012` / `#015`: rsyslog's own escape for control characters on receive, kept in `raw`.
 */
export function toLine(s: string): string {
  if (s.indexOf('\n') === -1 && s.indexOf('\r') === -1) return s;
  return s.replace(/\r/g, '#015').replace(/\n/g, '#012');
}

const SOURCE_OK = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/**
 * The logfaas source for an APP-NAME/TAG: the producer's source alphabet (`[A-Za-z0-9][A-Za-z0-9._:-]`,
 * 64 at most), other characters as `_`; `fallback` when there is no name.
 */
export function sourceFor(app: string | undefined, fallback: string): string {
  if (!app) return fallback;
  if (SOURCE_OK.test(app)) return app;
  const s = app
    .replace(/[^A-Za-z0-9._:-]/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return s === '' ? fallback : s;
}

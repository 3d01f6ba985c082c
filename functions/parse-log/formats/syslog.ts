// Syslog: RFC 5424 (`<PRI>1 TS HOST APP PROCID MSGID SD MSG`) and RFC 3164 / BSD
// (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`, PRI optional as in files written by syslogd).
import { severityLevel } from '../level.js';
import type { ParsedLine } from './types.js';

const RFC5424 =
  /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (.*))?$/;
const RFC3164 =
  /^(?:<(\d{1,3})>)?([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}) (\S+) ([^:[\s]+)(?:\[(\d+)\])?: ?(.*)$/;

const nil = (s: string) => (s === '-' ? undefined : s);

export function parseSyslog5424(line: string): ParsedLine | undefined {
  const m = RFC5424.exec(line);
  if (!m) return undefined;
  const pri = Number(m[1]);
  const fields: ParsedLine['fields'] = { facility: pri >> 3 };
  if (nil(m[6])) fields.procid = m[6];
  if (nil(m[7])) fields.msgid = m[7];
  if (m[8] !== '-') fields.sd = m[8];
  return {
    format: 'syslog5424',
    tsText: nil(m[3]),
    host: nil(m[4]),
    service: nil(m[5]),
    level: severityLevel(pri & 7),
    message: withoutBom(m[9] ?? ''),
    fields,
  };
}

export function parseSyslog3164(line: string): ParsedLine | undefined {
  const m = RFC3164.exec(line);
  if (!m) return undefined;
  const fields: ParsedLine['fields'] = {};
  if (m[1] !== undefined) fields.facility = Number(m[1]) >> 3;
  if (m[5] !== undefined) fields.pid = Number(m[5]);
  return {
    format: 'syslog3164',
    tsText: m[2],
    host: m[3],
    service: m[4],
    level: m[1] !== undefined ? severityLevel(Number(m[1]) & 7) : undefined,
    message: m[6],
    fields,
  };
}

/** The message without the UTF-8 BOM RFC 5424 allows before it; no regex run for the usual message without one. */
function withoutBom(msg: string): string {
  return msg.charCodeAt(0) === 0xfeff ? msg.slice(1) : msg;
}

// Apache/Nginx common and combined log formats, with an optional trailing response time
// (`%D` microseconds when an integer, nginx `$request_time` seconds when it has a decimal point).
import type { HttpFields } from '../../../core/event.js';
import { statusLevel } from '../level.js';
import type { ParsedLine } from './types.js';

const ACCESS =
  /^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?(?: (\d+(?:\.\d+)?))?\s*$/;

export function parseAccessLog(line: string): ParsedLine | undefined {
  const m = ACCESS.exec(line);
  if (!m) return undefined;
  const status = Number(m[6]);
  const [method, path, protocol] = m[5].split(' ');
  const http: HttpFields = { status, client_ip: m[1] };
  if (method && path) {
    http.method = method;
    http.path = path;
  }
  if (m[7] !== '-') http.bytes = Number(m[7]);
  if (m[9] !== undefined && m[9] !== '-') http.user_agent = m[9];
  if (m[10] !== undefined)
    http.latency_ms = m[10].includes('.') ? Number(m[10]) * 1000 : Number(m[10]) / 1000;
  const fields: ParsedLine['fields'] = {};
  if (m[3] !== '-') fields.user = m[3];
  if (protocol) fields.protocol = protocol;
  if (m[8] !== undefined && m[8] !== '-') fields.referer = m[8];
  return {
    format: m[8] !== undefined ? 'combined' : 'common',
    tsText: m[4],
    message: `${m[5]} ${status}`,
    level: statusLevel(status),
    http,
    fields,
  };
}

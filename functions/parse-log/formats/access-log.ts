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
  const [method, path, protocol] = requestParts(m[5]);
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

/** `m[5].split(' ')`'s first three parts, without the array of all of them. */
function requestParts(req: string): [string, string | undefined, string | undefined] {
  const a = req.indexOf(' ');
  if (a < 0) return [req, undefined, undefined];
  const b = req.indexOf(' ', a + 1);
  if (b < 0) return [req.slice(0, a), req.slice(a + 1), undefined];
  const c = req.indexOf(' ', b + 1);
  return [req.slice(0, a), req.slice(a + 1, b), c < 0 ? req.slice(b + 1) : req.slice(b + 1, c)];
}

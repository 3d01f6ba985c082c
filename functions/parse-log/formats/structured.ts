// Maps key/value records (JSON lines, logfmt) onto event fields using the usual key aliases.
import { digitsAt } from '../../../core/digits.js';
import type { HttpFields } from '../../../core/event.js';
import { normalizeLevel, statusLevel } from '../level.js';
import type { FieldValue, ParsedLine } from './types.js';

const LEVEL_KEYS = ['level', 'severity', 'lvl', 'loglevel', 'log.level', 'levelname'];
const MESSAGE_KEYS = ['msg', 'message', 'log', 'text', 'event'];
const TIME_KEYS = ['ts', 'time', 'timestamp', '@timestamp', 'datetime', 'date', 't'];
const SERVICE_KEYS = ['service', 'app', 'application', 'service.name', 'logger'];
const HOST_KEYS = ['host', 'hostname', 'host.name'];
const STATUS_KEYS = ['status', 'status_code', 'statusCode', 'http.status_code'];
const LATENCY_KEYS = ['latency', 'duration', 'response_time', 'latency_ms', 'duration_ms', 'elapsed'];
const METHOD_KEYS = ['method', 'http.method', 'verb'];
const PATH_KEYS = ['path', 'url', 'uri', 'http.url', 'request_uri'];
/** Fields kept per event; the rest of a very wide record stays in `raw` only. */
const MAX_FIELDS = 64;

// Key -> (role, rank in that role's list): one pass over a record's keys finds every role's key,
// instead of one keyed lookup per alias per role (profiling put `pick` at ~2% of parse time).
const ROLES = [
  MESSAGE_KEYS,
  LEVEL_KEYS,
  TIME_KEYS,
  SERVICE_KEYS,
  HOST_KEYS,
  STATUS_KEYS,
  LATENCY_KEYS,
  METHOD_KEYS,
  PATH_KEYS,
];
const ROLE_OF = new Map<string, number>();
for (let role = 0; role < ROLES.length; role++)
  for (let rank = 0; rank < ROLES[role].length; rank++) ROLE_OF.set(ROLES[role][rank], role * 64 + rank);

// Per role, the chosen key and its rank: reused by every record (parsing is synchronous), so a record
// costs no arrays or Set of used keys.
const chosen: (string | undefined)[] = new Array(ROLES.length).fill(undefined);
const chosenRank: number[] = new Array(ROLES.length).fill(64);

/** Per role, the first alias (in list order) with a non-empty value, as `pick` over each list would. */
function pickAll(rec: Record<string, FieldValue>): void {
  chosen.fill(undefined);
  chosenRank.fill(64);
  for (const k in rec) {
    const r = ROLE_OF.get(k);
    if (r === undefined) continue;
    const v = rec[k];
    if (v === undefined || v === null || v === '') continue;
    const role = r >> 6;
    if ((r & 63) < chosenRank[role]) {
      chosenRank[role] = r & 63;
      chosen[role] = k;
    }
  }
}

/** The value of the key chosen for `role`. */
function picked(rec: Record<string, FieldValue>, role: number): FieldValue | undefined {
  const k = chosen[role];
  return k === undefined ? undefined : rec[k];
}

/** Whether `k` is the key chosen for its role (it then becomes an event field, not a `fields` entry). */
function isChosen(k: string): boolean {
  const r = ROLE_OF.get(k);
  return r !== undefined && chosen[r >> 6] === k;
}

/** `45ms`, `0.045s`, `1.2`, `45` -> milliseconds. Bare numbers are ms (ms is the usual log unit). */
export function toMillis(v: FieldValue): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const ms = plainMillis(v);
  if (ms >= 0) return ms;
  const m = DURATION.exec(v);
  if (!m) return undefined;
  const mult = UNIT_MS[m[2] ?? 'ms'] ?? 1;
  return Number(m[1]) * mult;
}

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m)?\s*$/;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000 };

/**
 * `45` or `45ms` (the usual shapes) read without the regex: the same value, as a whole number of at
 * most 15 digits is exact either way. -1 for anything else, which takes the regex.
 */
function plainMillis(v: string): number {
  let end = v.length;
  if (end > 2 && v.charCodeAt(end - 2) === 109 /* m */ && v.charCodeAt(end - 1) === 115 /* s */) end -= 2;
  if (end === 0 || end > 15) return -1;
  return digitsAt(v, 0, end);
}

export function fromRecord(format: string, rec: Record<string, FieldValue>, line: string): ParsedLine {
  pickAll(rec);
  const msg = picked(rec, 0);
  const lv = picked(rec, 1);
  const ts = picked(rec, 2);
  const service = picked(rec, 3);
  const host = picked(rec, 4);
  const st = picked(rec, 5);
  const latency = picked(rec, 6);
  const method = picked(rec, 7);
  const path = picked(rec, 8);
  const status = Number(st);
  const out: ParsedLine = { format, message: msg !== undefined ? String(msg) : line };
  const level = normalizeLevel(lv);
  if (level) out.level = level;
  if (typeof ts === 'number') out.tsMs = ts < 1e11 ? ts * 1000 : ts;
  else if (typeof ts === 'string') out.tsText = ts;
  if (service !== undefined) out.service = String(service);
  if (host !== undefined) out.host = String(host);
  const http: HttpFields = {};
  if (Number.isInteger(status) && status >= 100 && status <= 599) {
    http.status = status;
    if (!out.level) out.level = statusLevel(status);
  }
  const ms = latency !== undefined ? toMillis(latency) : undefined;
  if (ms !== undefined) http.latency_ms = ms;
  if (typeof method === 'string') http.method = method;
  if (typeof path === 'string') http.path = path;
  if (
    http.status !== undefined ||
    http.latency_ms !== undefined ||
    http.method !== undefined ||
    http.path !== undefined
  )
    out.http = http;
  const fields: Record<string, FieldValue> = {};
  let n = 0;
  for (const k in rec) {
    if (isChosen(k)) continue;
    if (n++ >= MAX_FIELDS) break;
    fields[k] = rec[k];
  }
  if (n) out.fields = fields;
  return out;
}

// The compact form of a batch of LogEvents, for the hop from parse-log to detect-anomaly (content type
// EVENT_BATCH_TYPE, chosen by the Accept header; NDJSON stays the default for everyone else). Same
// information as NDJSON, lossless, but each event is one JSON array with its field names implied by
// position, its repeated strings (source, level, format, template id and text, service, host, HTTP
// method and user agent) stored once per batch in a table, its pieces of the raw line sent as offsets,
// and its time as a number: every byte of this hop is paid for in parse-log, the gateway, the connector,
// RabbitMQ and detect-anomaly (docs/capacity.md). Pure: no Node imports.
import { EVENT_SCHEMA_VERSION, type HttpFields, isLevel, type LogEvent, usableHttpNumber } from './event.js';
import { type DayCache, formatIso, parseEventTime } from './event-time.js';
import { utf8Join, utf8Lines } from './utf8-text.js';

export const EVENT_BATCH_TYPE = 'application/vnd.logfaas.events+json';

/** Whether an Accept header asks for the compact form (any q > 0). */
export function acceptsEventBatch(accept: string | null): boolean {
  if (!accept) return false;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    if (type !== EVENT_BATCH_TYPE) continue;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/**
 * Row layout (version 2): [time, origin, originLength, source#, service#, host#, level#, message,
 * messageLength, format#, templateId#, template#, params, raw, http|0, extra|0]; # = table index, -1 none.
 * - time: epoch ms minus the batch's `t0` when the timestamp is the schema's canonical form (the decoder
 *   formats it back), else the timestamp text.
 * - A text field that occurs in raw is sent as [offset in raw, length] (origin, message, the HTTP path
 *   and client address), else as its text (origin: null when absent): most of them are pieces of the
 *   line, and raw is sent whole anyway, for search.
 */
type Row = [
  number | string,
  number | string | null,
  number,
  number,
  number,
  number,
  number,
  number | string,
  number,
  number,
  number,
  number,
  string[],
  string | 0,
  HttpRow | 0,
  Extra | 0,
];
/** [method#, path, pathLength, status, latency_ms, bytes, user_agent#, client_ip, client_ipLength]. */
type HttpRow = [
  number,
  number | string | null,
  number,
  number | null,
  number | null,
  number | null,
  number,
  number | string | null,
  number,
];
/** The rarely present fields. */
interface Extra {
  fields?: LogEvent['fields'];
  problems?: string[];
  label?: string;
  stack?: string;
}

/** Version 2's first line; version 1 was one document with `events` in place of `t0` and `n`. */
interface Header {
  type: 'logfaas.events';
  v: 1 | 2;
  t0?: number;
  n?: number;
  strings: string[];
  events?: unknown[];
}

/** Below this many characters a piece of raw is sent as text: the offset and length are no shorter. */
const MIN_SPAN = 5;

/** Rows per line of a version 2 body: every line stays a small string to write and to read. */
const ROWS_PER_LINE = 256;

/**
 * A version 2 body: a header line `{type, v: 2, t0, n, strings}`, then the n rows as JSON arrays of up to
 * ROWS_PER_LINE, a line each (JSON never holds a raw newline), then each row's raw line, with only `\`,
 * LF and CR escaped. In lines, neither end makes a string of the whole batch: V8 puts a string past 128 KB
 * in a space of its own whose every page is fresh memory, which the kernel maps and zeroes each time
 * (docs/capacity.md).
 */
export function encodeEventBatch(events: readonly LogEvent[]): string {
  const { head, raws } = encodeLines(events);
  return [...head, ...raws].join('\n');
}

/** encodeEventBatch as UTF-8, encoded line by line. */
export function encodeEventBatchBytes(events: readonly LogEvent[]): Uint8Array {
  const { head, raws } = encodeLines(events);
  const groups: string[] = [];
  for (let i = 0; i < raws.length; i += ROWS_PER_LINE)
    groups.push(raws.slice(i, i + ROWS_PER_LINE).join('\n'));
  return utf8Join([...head, ...groups]);
}

/** The header and row lines, and the raw lines that follow them. */
function encodeLines(events: readonly LogEvent[]): { head: string[]; raws: string[] } {
  const index = new Map<string, number>();
  const strings: string[] = [];
  const id = (s: string | undefined): number => {
    if (s === undefined) return -1;
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      index.set(s, i);
      strings.push(s);
    }
    return i;
  };
  const days: DayCache = { day: Number.NaN, prefix: '' };
  let t0: number | undefined;
  const rows: Row[] = new Array(events.length);
  const raws: string[] = new Array(events.length);
  for (let k = 0; k < events.length; k++) {
    const e = events[k];
    const raw = e.raw;
    const h = e.http;
    const extra: Extra | 0 =
      e.fields !== undefined || e.problems !== undefined || e.label !== undefined || e.stack !== undefined
        ? { fields: e.fields, problems: e.problems, label: e.label, stack: e.stack }
        : 0;
    let time: number | string = e.timestamp;
    const t = parseEventTime(time);
    if (Number.isInteger(t) && formatIso(t, days) === time) {
      t0 ??= t;
      time = t - t0;
    }
    const origin = e.timestampOriginal;
    const oAt = origin === undefined ? -1 : spanAt(raw, origin);
    const mAt = spanAt(raw, e.message);
    let http: HttpRow | 0 = 0;
    if (h) {
      const pAt = h.path === undefined ? -1 : spanAt(raw, h.path);
      const iAt = h.client_ip === undefined ? -1 : spanAt(raw, h.client_ip);
      http = [
        id(h.method),
        pAt >= 0 ? pAt : (h.path ?? null),
        pAt >= 0 ? h.path!.length : 0,
        h.status ?? null,
        h.latency_ms ?? null,
        h.bytes ?? null,
        id(h.user_agent),
        iAt >= 0 ? iAt : (h.client_ip ?? null),
        iAt >= 0 ? h.client_ip!.length : 0,
      ];
    }
    rows[k] = [
      time,
      oAt >= 0 ? oAt : (origin ?? null),
      oAt >= 0 ? origin!.length : 0,
      id(e.source),
      id(e.service),
      id(e.host),
      id(e.level),
      mAt >= 0 ? mAt : e.message,
      mAt >= 0 ? e.message.length : 0,
      id(e.format),
      id(e.templateId),
      id(e.template),
      e.params,
      0,
      http,
      extra,
    ];
    // The raw line goes below the rows as text, escaped only for newlines and backslashes: JSON's
    // escaping of its quotes cost parse-log more than building the row. One holding a lone surrogate,
    // which UTF-8 cannot carry, stays in its row as JSON.
    if (hasLoneSurrogate(raw)) {
      rows[k][13] = raw;
      raws[k] = '';
    } else raws[k] = escapeLine(raw);
  }
  const header: Header = { type: 'logfaas.events', v: 2, t0: t0 ?? 0, n: rows.length, strings };
  const head = [JSON.stringify(header)];
  for (let i = 0; i < rows.length; i += ROWS_PER_LINE)
    head.push(JSON.stringify(rows.slice(i, i + ROWS_PER_LINE)));
  return { head, raws };
}

const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const hasLoneSurrogate = (s: string) => SURROGATE.test(s) && LONE_SURROGATE.test(s);

const NEEDS_ESCAPE = /[\\\n\r]/;
function escapeLine(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/[\\\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\r'));
}
function unescapeLine(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  return s.replace(/\\([\\nr])/g, (_, c: string) => (c === '\\' ? '\\' : c === 'n' ? '\n' : '\r'));
}

/** Where `s` starts in raw, or -1 when it is not in it or too short to send as a span. */
function spanAt(raw: string, s: string): number {
  if (s.length < MIN_SPAN) return -1;
  return s === raw ? 0 : raw.indexOf(s);
}

export class EventBatchError extends Error {
  override name = 'EventBatchError';
}

export interface DecodedBatch {
  events: LogEvent[];
  /** Rows that could not be read as an event, with the first few reasons. */
  rejected: number;
  reasons: string[];
}

/**
 * Reads a compact batch (version 2, or 1 as written before it: a message in a queue across an upgrade).
 * A body that is not one throws EventBatchError; a malformed row is counted as rejected and the rest of
 * the batch is kept (bad input never loses its neighbours).
 */
export function decodeEventBatch(body: string | Uint8Array): DecodedBatch {
  const lines = typeof body === 'string' ? stringLines(body) : utf8Lines(body);
  const first = lines.next();
  const header = first.done ? undefined : parseLine<Header>(first.value, 'header');
  if (
    typeof header !== 'object' ||
    header === null ||
    header.type !== 'logfaas.events' ||
    !Array.isArray(header.strings) ||
    !(header.v === 1 ? Array.isArray(header.events) : header.v === 2 && Number.isSafeInteger(header.t0)) ||
    (header.v === 2 && !(Number.isSafeInteger(header.n) && header.n! >= 0))
  ) {
    throw new EventBatchError(`not a ${EVENT_BATCH_TYPE} version 1 or 2 document`);
  }
  const strings = header.strings;
  const str = (i: unknown): string | undefined =>
    typeof i === 'number' && i >= 0 && typeof strings[i] === 'string' ? strings[i] : undefined;
  const ctx: RowContext = { str, t0: header.t0 ?? 0, days: { day: Number.NaN, prefix: '' } };
  const events: LogEvent[] = [];
  const reasons: string[] = [];
  let rejected = 0;
  let k = 0;
  const take = (row: unknown) => {
    const e = toEvent(row, ctx);
    if (typeof e === 'string') {
      rejected++;
      if (reasons.length < 5) reasons.push(`event ${k}: ${e}`);
    } else events.push(e);
    k++;
  };
  if (header.v === 1) for (const row of header.events!) take(fromVersion1(row));
  else {
    const n = header.n!;
    const rows: unknown[] = [];
    while (rows.length < n) {
      const line = lines.next();
      if (line.done) throw new EventBatchError(`${rows.length} rows where the header says ${n}`);
      const part = parseLine<unknown[]>(line.value, `rows after event ${rows.length}`);
      if (!Array.isArray(part))
        throw new EventBatchError(`rows after event ${rows.length} are not a JSON array`);
      for (const row of part) rows.push(row);
    }
    if (rows.length !== n) throw new EventBatchError(`${rows.length} rows where the header says ${n}`);
    // Then one raw line per row; a row that holds its raw text has an empty one.
    for (const row of rows) {
      const line = lines.next();
      if (line.done) throw new EventBatchError(`${k} raw lines where the header says ${n}`);
      if (Array.isArray(row) && row[13] === 0) row[13] = unescapeLine(line.value);
      take(row);
    }
  }
  return { events, rejected, reasons };
}

function parseLine<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new EventBatchError(`${what} is not JSON: ${(e as Error).message}`);
  }
}

function* stringLines(text: string): Generator<string> {
  let at = 0;
  for (;;) {
    const end = text.indexOf('\n', at);
    yield end < 0 ? text.slice(at) : text.slice(at, end);
    if (end < 0) return;
    at = end + 1;
  }
}

interface RowContext {
  str: (i: unknown) => string | undefined;
  t0: number;
  days: DayCache;
}

const text = (x: unknown): x is string => typeof x === 'string';

/**
 * A version 1 row in version 2's layout: every text as text, the user agent as text (toEvent reads both
 * it and an index); a row that is not one goes on as it is, to be rejected.
 */
function fromVersion1(r: unknown): unknown {
  if (!Array.isArray(r) || r.length !== 14) return r;
  const h = r[12];
  const textOrNull = (x: unknown) => (text(x) ? x : null);
  const http = Array.isArray(h)
    ? [h[0], textOrNull(h[1]), 0, h[2], h[3], h[4], h[5], textOrNull(h[6]), 0]
    : h;
  return [
    r[0],
    text(r[1]) ? r[1] : null,
    0,
    r[2],
    r[3],
    r[4],
    r[5],
    text(r[6]) ? r[6] : false,
    0,
    r[7],
    r[8],
    r[9],
    r[10],
    r[11] === 0 ? r[6] : r[11],
    http,
    r[13],
  ];
}

/** A text field: [offset, length] in raw, or its text; null when absent, false when malformed. */
function piece(raw: string, at: unknown, length: unknown): string | null | false {
  if (typeof at === 'string') return at;
  if (at === null) return null;
  if (
    typeof at !== 'number' ||
    typeof length !== 'number' ||
    !Number.isInteger(at) ||
    !Number.isInteger(length) ||
    at < 0 ||
    length < 0 ||
    at + length > raw.length
  )
    return false;
  return raw.slice(at, at + length);
}

/** The event, or why the row is not one. */
function toEvent(r: unknown, ctx: RowContext): LogEvent | string {
  if (!Array.isArray(r) || r.length !== 16) return 'not a 16-element row';
  const { str } = ctx;
  const source = str(r[3]);
  const level = str(r[6]);
  const format = str(r[9]);
  const templateId = str(r[10]);
  const template = str(r[11]);
  const raw = r[13];
  if (!text(raw) || source === undefined || format === undefined) return 'missing field';
  if (templateId === undefined || template === undefined) return 'missing template';
  if (!isLevel(level)) return 'bad level';
  let timestamp: string;
  if (text(r[0])) timestamp = r[0];
  else if (Number.isSafeInteger(r[0]) && Number.isSafeInteger(ctx.t0 + r[0]))
    timestamp = formatIso(ctx.t0 + r[0], ctx.days);
  else return 'bad time';
  const origin = piece(raw, r[1], r[2]);
  const message = piece(raw, r[7], r[8]);
  if (origin === false || message === false || message === null) return 'bad text offsets';
  const params = r[12];
  if (!Array.isArray(params) || !params.every(text)) return 'params must be strings';
  const e: LogEvent = {
    v: EVENT_SCHEMA_VERSION,
    timestamp,
    timestampOriginal: origin ?? undefined,
    source,
    service: str(r[4]),
    host: str(r[5]),
    level,
    message,
    http: undefined,
    format,
    templateId,
    template,
    params,
    fields: undefined,
    raw,
    problems: undefined,
    label: undefined,
  };
  const h = r[14];
  if (Array.isArray(h) && h.length === 9) {
    const path = piece(raw, h[1], h[2]);
    const ip = piece(raw, h[7], h[8]);
    if (path === false || ip === false) return 'bad http';
    const http: HttpFields = {
      method: str(h[0]),
      path: path ?? undefined,
      status: usableHttpNumber(h[3]),
      latency_ms: usableHttpNumber(h[4]),
      bytes: usableHttpNumber(h[5]),
      user_agent: text(h[6]) ? h[6] : str(h[6]),
      client_ip: ip ?? undefined,
    };
    e.http = http;
  } else if (h !== 0) return 'bad http';
  const x = r[15];
  if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
    const extra = x as Extra;
    if (extra.fields !== undefined && (typeof extra.fields !== 'object' || extra.fields === null))
      return 'bad fields';
    if (extra.problems !== undefined && !(Array.isArray(extra.problems) && extra.problems.every(text)))
      return 'bad problems';
    e.fields = extra.fields;
    e.problems = extra.problems;
    e.label = text(extra.label) ? extra.label : undefined;
    if (extra.stack !== undefined) {
      if (!text(extra.stack)) return 'bad stack';
      e.stack = extra.stack;
    }
  } else if (x !== 0) return 'bad extra';
  return e;
}

// Reading the compact batch (core/event-batch.ts): version 2 line by line, and version 1 as written
// before it. A body that is not a batch throws; a malformed row is rejected alone. Pure.
import { EVENT_SCHEMA_VERSION, type HttpFields, isLevel, type LogEvent, usableHttpNumber } from './event.js';
import { EVENT_BATCH_TYPE, type Extra, type Header } from './event-batch.js';
import { type DayCache, formatIso, MAX_DATE_MS, wholeIsoMs } from './event-time.js';
import { unescapeLine } from './line-escape.js';
import { utf8Lines } from './utf8-text.js';

export class EventBatchError extends Error {
  override name = 'EventBatchError';
}

export interface DecodedBatch {
  events: LogEvent[];
  /**
   * Each event's time as epoch ms where its row carried one (its timestamp is that time formatted), NaN
   * where the row carried the timestamp as text: a reader need not parse the formatted text back.
   */
  times: number[];
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
  const lines: Iterator<string> = typeof body === 'string' ? body.split('\n').values() : utf8Lines(body);
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
  const ctx: RowContext = { str, t0: header.t0 ?? 0, days: { day: Number.NaN, prefix: '' }, ms: Number.NaN };
  const events: LogEvent[] = [];
  const times: number[] = [];
  const reasons: string[] = [];
  let rejected = 0;
  let k = 0;
  const take = (row: unknown) => {
    const e = toEvent(row, ctx);
    if (typeof e === 'string') {
      rejected++;
      if (reasons.length < 5) reasons.push(`event ${k}: ${e}`);
    } else {
      events.push(e);
      times.push(ctx.ms);
    }
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
  return { events, times, rejected, reasons };
}

function parseLine<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new EventBatchError(`${what} is not JSON: ${(e as Error).message}`);
  }
}

interface RowContext {
  str: (i: unknown) => string | undefined;
  t0: number;
  days: DayCache;
  /** The last row's time as epoch ms when it carried one, else NaN. */
  ms: number;
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
  ctx.ms = Number.NaN;
  if (text(r[0])) timestamp = r[0];
  else if (Number.isSafeInteger(r[0]) && Math.abs(ctx.t0 + r[0]) <= MAX_DATE_MS) {
    const ms = ctx.t0 + r[0];
    timestamp = formatIso(ms, ctx.days);
    // Outside years 1970-9999 the text is toISOString's form: left to the reader to parse.
    ctx.ms = wholeIsoMs(ms);
  } else return 'bad time';
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
  return (x !== 0 && readExtra(x, e)) || e;
}

/** Puts a row's rarely present fields (Extra) into its event; what is wrong with them, if anything. */
export function readExtra(x: unknown, e: LogEvent): string | undefined {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return 'bad extra';
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
  return undefined;
}

// The compact form of a batch of LogEvents, for the hop from parse-log to detect-anomaly (content type
// EVENT_BATCH_TYPE, chosen by the Accept header; NDJSON stays the default for everyone else). Same
// information as NDJSON, lossless, but each event is one JSON array with its field names implied by
// position, its repeated strings (source, level, format, template id and text, service, host, HTTP
// method and user agent) stored once per batch in a table, its pieces of the raw line sent as offsets,
// and its time as a number: every byte of this hop is paid for in parse-log, the gateway, the connector,
// RabbitMQ and detect-anomaly (docs/capacity.md). Read back by core/event-batch-read.ts. Pure.
import type { LogEvent } from './event.js';
import { type DayCache, formatIso, parseEventTime } from './event-time.js';
import { escapeLine, hasLoneSurrogate } from './line-escape.js';
import { utf8Join } from './utf8-text.js';

export const EVENT_BATCH_TYPE = 'application/vnd.logfaas.events+json';

/** Whether an Accept header asks for `type` (default: this compact form) with any q > 0. */
export function acceptsEventBatch(accept: string | null, type: string = EVENT_BATCH_TYPE): boolean {
  if (!accept) return false;
  for (const part of accept.split(',')) {
    const [name, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    if (name !== type) continue;
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
export interface Extra {
  fields?: LogEvent['fields'];
  problems?: string[];
  label?: string;
  stack?: string;
}

/** Version 2's first line; version 1 was one document with `events` in place of `t0` and `n`. */
export interface Header {
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
 * tab, LF and CR escaped. In lines, neither end makes a string of the whole batch: V8 puts a string past
 * 128 KB in a space of its own whose every page is fresh memory, which the kernel maps and zeroes each
 * time (docs/capacity.md).
 */
export function encodeEventBatch(events: readonly LogEvent[]): string {
  const { head, raws } = encodeLines(events);
  return [...head, ...raws].join('\n');
}

/**
 * encodeEventBatch as UTF-8, encoded line by line. `times`: each event's time as epoch ms whose formatIso
 * is exactly its timestamp, NaN where unknown (parse-log's parseBatch gives them): a timestamp is then not
 * read back and checked.
 */
export function encodeEventBatchBytes(events: readonly LogEvent[], times?: Float64Array): Uint8Array {
  const { head, raws } = encodeLines(events, times);
  const groups: string[] = [];
  for (let i = 0; i < raws.length; i += ROWS_PER_LINE)
    groups.push(raws.slice(i, i + ROWS_PER_LINE).join('\n'));
  return utf8Join([...head, ...groups]);
}

/** The header and row lines, and the raw lines that follow them. */
function encodeLines(events: readonly LogEvent[], times?: Float64Array): { head: string[]; raws: string[] } {
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
    const t = canonicalMs(time, times === undefined ? Number.NaN : times[k], days);
    if (!Number.isNaN(t)) {
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
    // The raw line goes below the rows as text, escaped only for line breaks, tabs and backslashes
    // (core/line-escape.ts): JSON's escaping of its quotes cost parse-log more than building the row. One holding a lone surrogate,
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

/**
 * The time a row may carry as a number for `timestamp`, NaN when it must carry the text: `known` (the
 * parser's time, which formats to the timestamp exactly) when given, else the timestamp read back and
 * checked to format to itself.
 */
export function canonicalMs(timestamp: string, known: number, days: DayCache): number {
  if (!Number.isNaN(known)) return known;
  const t = parseEventTime(timestamp);
  return Number.isInteger(t) && formatIso(t, days) === timestamp ? t : Number.NaN;
}

/** Where `s` starts in raw, or -1 when it is not in it or too short to send as a span. */
export function spanAt(raw: string, s: string): number {
  if (s.length < MIN_SPAN) return -1;
  return s === raw ? 0 : raw.indexOf(s);
}

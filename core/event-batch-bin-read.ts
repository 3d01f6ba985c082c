// Reading the binary batch (core/event-batch-bin.ts). A body that is not one, or is cut short, throws
// EventBatchError; a row whose values are wrong but readable (a level that is not one, an offset past its
// raw line) is rejected alone. Pure.
import { ByteReader, TruncatedError } from './byte-codec.js';
import { EVENT_SCHEMA_VERSION, type HttpFields, isLevel, type LogEvent } from './event.js';
import { BIN_MAGIC, BIN_VERSION, F_EXTRA, F_EXTRA_JSON, F_HTTP, F_TIME_TEXT } from './event-batch-bin.js';
import { Rows } from './event-batch-bin-rows.js';
import { type DecodedBatch, EventBatchError, readExtra } from './event-batch-read.js';
import { type DayCache, formatIso, parseEventTime, wholeIsoMs } from './event-time.js';

/** Whether the body starts as a binary batch does (any version). */
export function isBinBatch(body: Uint8Array): boolean {
  return BIN_MAGIC.every((b, i) => body[i] === b);
}

export function decodeEventBatchBin(body: Uint8Array): DecodedBatch {
  return batchErrors(() => decode(body, false));
}

/** A batch decoded lean, and how to make any of its events whole. */
export interface LeanBatch extends DecodedBatch {
  /** Event k of `events` whole: a new event, with what the lean decode left out. */
  complete(k: number): LogEvent;
  /**
   * Where event k's raw line lies in the body as bytes that are its text (ASCII, nothing escapeLine
   * escapes), for a writer that copies them instead of encoding the string again; -1 where they are not.
   */
  rawAt: number[];
}

/** Events kept for reuse at most (decodeEventBatchBinLean's `reuse`). */
export const REUSED_EVENTS_MAX = 12_000;

/**
 * decodeEventBatchBin for a reader that needs every event's scoring fields but the whole event for only a
 * few: each event's time as written, its client address and its params are left out, except the first of
 * its longest params (params holds that one alone), and its timestamp is '' where `times` holds it. Rows are judged exactly as decodeEventBatchBin judges
 * them; complete(k) reads row k again for the rest. Why: a batch's events are alive while it is scored,
 * and what survives a young-generation collection is what it costs (docs/capacity.md).
 * `reuse`: events of an earlier batch, overwritten (with their HTTP fields) instead of new ones, and the
 * new ones added to it; they are the caller's to keep from any other use until it is done with these.
 */
export function decodeEventBatchBinLean(body: Uint8Array, reuse?: LogEvent[]): LeanBatch {
  return batchErrors(() => decode(body, true, reuse)) as LeanBatch;
}

/** A body that ends early, as the EventBatchError a reader of the batch expects. */
function batchErrors<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof TruncatedError) throw new EventBatchError(e.message);
    throw e;
  }
}

/** What precedes the rows and their raw lines: their count, the time they count from and the table. */
function readHead(body: Uint8Array, r: ByteReader): { n: number; t0: number; table: string[] } {
  if (!isBinBatch(body)) throw new EventBatchError('not a binary event batch');
  const version = r.uint();
  if (version !== BIN_VERSION)
    throw new EventBatchError(`version ${version}; this reader knows ${BIN_VERSION}`);
  const n = r.uint();
  const t0 = r.int();
  const table = r.strings();
  return { n, t0, table };
}

function checkRawCount(raws: number, n: number): void {
  if (raws !== n) throw new EventBatchError(`${raws} raw lines where the header says ${n}`);
}

function decode(body: Uint8Array, lean: boolean, reuse?: LogEvent[]): DecodedBatch | LeanBatch {
  const r = new Rows(body);
  const { n, t0, table } = readHead(body, r);
  const spans: number[] | undefined = lean ? [] : undefined;
  const raws = r.strings(spans);
  checkRawCount(raws.length, n);
  const rawAt: number[] = [];
  r.table = table;
  const days: DayCache = { day: Number.NaN, prefix: '' };
  let lastT = Number.NaN;
  let lastText = '';
  let lastMs = Number.NaN;
  const events: LogEvent[] = [];
  const times: number[] = [];
  const reasons: string[] = [];
  // Where each kept event's row starts, for complete().
  const starts: number[] = [];
  let rejected = 0;
  for (let k = 0; k < n; k++) {
    const raw = raws[k];
    const start = r.at;
    // A bad value does not stop the row's reading (the rows after it could not be found): the row is
    // read to its end and judged after.
    r.why = undefined;
    const flags = r.uint();
    let timestamp = '';
    let ms = Number.NaN;
    if (flags & F_TIME_TEXT) {
      const text = r.timeText();
      if (text !== undefined) timestamp = text;
      else r.fail('bad time');
    } else {
      const t = r.time(t0);
      if (t === lastT) {
        // Lines of one millisecond (logs stamped to the second: most of a batch) share one text.
        timestamp = lastText;
        ms = lastMs;
      } else if (!Number.isNaN(t)) {
        ms = wholeIsoMs(t);
        // Outside years 1970-9999 the text is toISOString's form: left to the reader to parse. Within
        // them a lean reader has the time in `times`, and complete() writes its text.
        timestamp = lean && !Number.isNaN(ms) ? '' : formatIso(t, days);
        lastT = t;
        lastText = timestamp;
        lastMs = ms;
      } else r.fail('bad time');
    }
    const origin = lean ? r.check(raw) : r.text(raw);
    const source = r.ref();
    const service = r.ref();
    const host = r.ref();
    const level = r.ref();
    const message = r.text(raw);
    const format = r.ref();
    const templateId = r.ref();
    const template = r.ref();
    // The event this row overwrites, if any (a rejected row's is overwritten again by the next row).
    const old = reuse?.[events.length];
    const params = lean ? r.longestParam(raw, old?.params) : r.params(raw);
    let http: HttpFields | undefined;
    if (flags & F_HTTP) {
      const method = r.ref();
      const path = r.text(raw);
      const status = r.num();
      const latency_ms = r.num();
      const bytes = r.num();
      const user_agent = r.ref();
      const client_ip = lean ? r.check(raw) : r.text(raw);
      http = old?.http;
      if (http === undefined) http = { method, path, status, latency_ms, bytes, user_agent, client_ip };
      else {
        http.method = method;
        http.path = path;
        http.status = status;
        http.latency_ms = latency_ms;
        http.bytes = bytes;
        http.user_agent = user_agent;
        http.client_ip = client_ip;
      }
    }
    const extra = flags & F_EXTRA_JSON ? r.refText() : undefined;
    if (source === undefined || format === undefined) r.fail('missing field');
    if (message === undefined) r.fail('bad text offsets');
    if (templateId === undefined || template === undefined) r.fail('missing template');
    if (!isLevel(level)) r.fail('bad level');
    if (flags & F_EXTRA_JSON && extra === undefined) r.fail('bad extra');
    const e = old ?? blankEvent();
    e.timestamp = timestamp;
    e.timestampOriginal = origin;
    e.source = source!;
    e.service = service;
    e.host = host;
    e.level = level as LogEvent['level'];
    e.message = message!;
    e.http = http;
    e.format = format!;
    e.templateId = templateId!;
    e.template = template!;
    e.params = params;
    e.fields = undefined;
    e.raw = raw;
    e.problems = undefined;
    e.label = undefined;
    // A kept event has `stack`, set or not, so every kept one has one shape, extra() or not.
    if (reuse) e.stack = undefined;
    if (flags & F_EXTRA) r.extra(e);
    else if (extra !== undefined && r.why === undefined) r.fail(readExtra(parseJson(extra), e));
    if (r.why !== undefined) {
      rejected++;
      if (reasons.length < 5) reasons.push(`event ${k}: ${r.why}`);
    } else {
      events.push(e);
      times.push(ms);
      if (lean) {
        starts.push(start);
        rawAt.push(spans![k]);
      }
      if (reuse && !old && reuse.length < REUSED_EVENTS_MAX) reuse.push(e);
    }
  }
  if (r.at !== body.length) throw new EventBatchError(`${body.length - r.at} bytes after the last row`);
  if (!lean) return { events, times, rejected, reasons };
  const complete = (k: number): LogEvent => {
    const e = events[k];
    const again = new Rows(body);
    again.table = table;
    again.at = starts[k];
    const whole = again.row(e.raw, t0);
    const out: LogEvent = { ...e, timestampOriginal: whole.origin, params: whole.params };
    if (e.timestamp === '' && !Number.isNaN(times[k])) out.timestamp = formatIso(times[k], days);
    if (e.http) out.http = { ...e.http, client_ip: whole.clientIp };
    if (out.stack === undefined) delete out.stack;
    return out;
  };
  return { events, times, rejected, reasons, complete, rawAt };
}

/** Each row's source and time, as a reader needs them before it makes the rows' events. */
export interface BatchRows {
  /** undefined where the row has none (or a bad table index). */
  sources: (string | undefined)[];
  /** Epoch ms; NaN where the row has no time the reader can tell without its event. */
  times: number[];
}

/**
 * Every row's source and time, read without making its event or its raw line: for a reader that must
 * know them (which windows to read) long before it scores the batch. Rows are walked as decode reads
 * them (event-batch-bin.test.ts pins the two together); a body decode would refuse may pass here, and a
 * row decode rejects is still listed. Throws EventBatchError where the body ends early.
 */
export function skimEventBatchBin(body: Uint8Array): BatchRows {
  return batchErrors(() => skim(body));
}

function skim(body: Uint8Array): BatchRows {
  const r = new Rows(body);
  const { n, t0, table } = readHead(body, r);
  checkRawCount(r.skipStrings(), n);
  r.table = table;
  const sources: (string | undefined)[] = [];
  const times: number[] = [];
  for (let k = 0; k < n; k++) {
    const flags = r.uint();
    let ms: number;
    if (flags & F_TIME_TEXT) {
      const text = r.timeText();
      ms = text === undefined ? Number.NaN : parseEventTime(text);
    } else ms = r.time(t0);
    r.skipText(); // the time as the line wrote it
    sources.push(r.ref());
    r.uint(); // service
    r.uint(); // host
    r.uint(); // level
    r.skipText(); // message
    r.uint(); // format
    r.uint(); // template id
    r.uint(); // template
    for (let count = r.uint(); count > 0; count--) r.skipText();
    if (flags & F_HTTP) {
      r.skipHttpHead();
      r.skipText(); // client ip
    }
    if (flags & F_EXTRA_JSON) r.uint();
    if (flags & F_EXTRA) r.skipExtra();
    times.push(ms);
  }
  if (r.at !== body.length) throw new EventBatchError(`${body.length - r.at} bytes after the last row`);
  return { sources, times };
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/**
 * A binary batch's raw lines joined by newlines, for a person reading a dead letter; undefined when the
 * body is not one or is cut before its raw lines end.
 */
export function binBatchText(body: Uint8Array): string | undefined {
  try {
    const r = new ByteReader(body, BIN_MAGIC.length);
    readHead(body, r);
    return r.strings().join('\n');
  } catch (e) {
    if (e instanceof TruncatedError || e instanceof EventBatchError) return undefined;
    throw e;
  }
}

/**
 * Lets go of the texts the first `count` reused events hold: kept until the next batch
 * overwrote them, a scored batch's lines outlived it through young-generation collections, were promoted
 * and then cost full collections (docs/capacity.md). The events keep their shape for the next batch.
 */
export function releaseEvents(events: readonly LogEvent[], count: number): void {
  for (let i = 0; i < Math.min(count, events.length); i++) {
    const e = events[i];
    e.raw = '';
    e.message = '';
    e.timestampOriginal = undefined;
    const params = e.params;
    while (params.length > 0) params.pop(); // not `length = 0`: a runtime call (event-batch-bin-rows.ts)
    e.fields = undefined;
    e.problems = undefined;
    e.stack = undefined;
    const h = e.http;
    if (h) {
      h.path = '';
      h.client_ip = undefined;
    }
  }
}

/** A blank event's params, always replaced: never written to. */
const NO_PARAMS: string[] = [];

/** An event of every field (but `stack`), for decode to fill. */
function blankEvent(): LogEvent {
  return {
    v: EVENT_SCHEMA_VERSION,
    timestamp: '',
    timestampOriginal: undefined,
    source: '',
    service: undefined,
    host: undefined,
    level: 'info',
    message: '',
    http: undefined,
    format: '',
    templateId: '',
    template: '',
    params: NO_PARAMS,
    fields: undefined,
    raw: '',
    problems: undefined,
    label: undefined,
  };
}

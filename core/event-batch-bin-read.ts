// Reading the binary batch (core/event-batch-bin.ts). A body that is not one, or is cut short, throws
// EventBatchError; a row whose values are wrong but readable (a level that is not one, an offset past its
// raw line) is rejected alone. Pure.
import { ByteReader, TruncatedError } from './byte-codec.js';
import { EVENT_SCHEMA_VERSION, type HttpFields, isLevel, type LogEvent } from './event.js';
import {
  BIN_MAGIC,
  BIN_VERSION,
  F_EXTRA,
  F_EXTRA_JSON,
  F_HTTP,
  F_TIME_TEXT,
  V_FALSE,
  V_FLOAT,
  V_INT,
  V_NULL,
  V_TEXT,
  V_TRUE,
} from './event-batch-bin.js';
import { type DecodedBatch, EventBatchError, readExtra } from './event-batch-read.js';
import { type DayCache, formatIso, MAX_DATE_MS, parseEventTime, wholeIsoMs } from './event-time.js';

/** Whether the body starts as a binary batch does (any version). */
export function isBinBatch(body: Uint8Array): boolean {
  return BIN_MAGIC.every((b, i) => body[i] === b);
}

export function decodeEventBatchBin(body: Uint8Array): DecodedBatch {
  return batchErrors(() => decode(body));
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

function decode(body: Uint8Array): DecodedBatch {
  const r = new Rows(body);
  const { n, t0, table } = readHead(body, r);
  const raws = r.strings();
  checkRawCount(raws.length, n);
  r.table = table;
  const days: DayCache = { day: Number.NaN, prefix: '' };
  let lastT = Number.NaN;
  let lastText = '';
  let lastMs = Number.NaN;
  const events: LogEvent[] = [];
  const times: number[] = [];
  const reasons: string[] = [];
  let rejected = 0;
  for (let k = 0; k < n; k++) {
    const raw = raws[k];
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
        timestamp = formatIso(t, days);
        // Outside years 1970-9999 the text is toISOString's form: left to the reader to parse.
        ms = wholeIsoMs(t);
        lastT = t;
        lastText = timestamp;
        lastMs = ms;
      } else r.fail('bad time');
    }
    const origin = r.text(raw);
    const source = r.ref();
    const service = r.ref();
    const host = r.ref();
    const level = r.ref();
    const message = r.text(raw);
    const format = r.ref();
    const templateId = r.ref();
    const template = r.ref();
    const params: string[] = [];
    for (let count = r.uint(); count > 0; count--) {
      const p = r.text(raw);
      if (p !== undefined) params.push(p);
      else r.fail('params must be strings');
    }
    let http: HttpFields | undefined;
    if (flags & F_HTTP)
      http = {
        method: r.ref(),
        path: r.text(raw),
        status: r.num(),
        latency_ms: r.num(),
        bytes: r.num(),
        user_agent: r.ref(),
        client_ip: r.text(raw),
      };
    const extra = flags & F_EXTRA_JSON ? r.ref() : undefined;
    if (source === undefined || format === undefined) r.fail('missing field');
    if (message === undefined) r.fail('bad text offsets');
    if (templateId === undefined || template === undefined) r.fail('missing template');
    if (!isLevel(level)) r.fail('bad level');
    if (flags & F_EXTRA_JSON && extra === undefined) r.fail('bad extra');
    const e: LogEvent = {
      v: EVENT_SCHEMA_VERSION,
      timestamp,
      timestampOriginal: origin,
      source: source!,
      service,
      host,
      level: level as LogEvent['level'],
      message: message!,
      http,
      format: format!,
      templateId: templateId!,
      template: template!,
      params,
      fields: undefined,
      raw,
      problems: undefined,
      label: undefined,
    };
    if (flags & F_EXTRA) r.extra(e);
    else if (extra !== undefined && r.why === undefined) r.fail(readExtra(parseJson(extra), e));
    if (r.why !== undefined) {
      rejected++;
      if (reasons.length < 5) reasons.push(`event ${k}: ${r.why}`);
    } else {
      events.push(e);
      times.push(ms);
    }
  }
  if (r.at !== body.length) throw new EventBatchError(`${body.length - r.at} bytes after the last row`);
  return { events, times, rejected, reasons };
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
      r.uint(); // method
      r.skipText(); // path
      r.skipNum(); // status
      r.skipNum(); // latency
      r.skipNum(); // bytes
      r.uint(); // user agent
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

/** The row values, each read to its end whatever it holds; `why` says what was wrong with the row. */
class Rows extends ByteReader {
  table: string[] = [];
  why: string | undefined;

  constructor(body: Uint8Array) {
    super(body, BIN_MAGIC.length);
  }

  fail(why: string | undefined): void {
    this.why ??= why;
  }

  ref(): string | undefined {
    const i = this.uint();
    if (i === 0) return undefined;
    if (i <= this.table.length) return this.table[i - 1];
    this.fail('a table index past the table');
    return undefined;
  }

  /** A row's time as a number, counted from `t0` (epoch ms); NaN where a Date cannot hold it. */
  time(t0: number): number {
    const t = t0 + this.int();
    return Number.isSafeInteger(t) && Math.abs(t) <= MAX_DATE_MS ? t : Number.NaN;
  }

  /** A row's time as text (a table entry, by index from 0); undefined for an index past the table. */
  timeText(): string | undefined {
    const i = this.uint();
    return i < this.table.length ? this.table[i] : undefined;
  }

  /** A text field: from the table, or a piece of `raw`. */
  text(raw: string): string | undefined {
    const c = this.uint();
    if (c === 0) return undefined;
    if (c % 2 === 1) {
      const i = (c - 1) / 2;
      if (i < this.table.length) return this.table[i];
      this.fail('a table index past the table');
      return undefined;
    }
    const at = (c - 2) / 2;
    const length = this.uint();
    if (at + length <= raw.length) return raw.slice(at, at + length);
    this.fail('bad text offsets');
    return undefined;
  }

  /** Past a text field (text()). */
  skipText(): void {
    const c = this.uint();
    if (c !== 0 && c % 2 === 0) this.uint();
  }

  /** Past a number (num()). */
  skipNum(): void {
    if (this.uint() === 1) this.f64();
  }

  /** Past what extra() reads. */
  skipExtra(): void {
    const nf = this.uint();
    for (let i = 1; i < nf; i++) {
      this.uint();
      const tag = this.uint();
      if (tag === V_INT) this.uint();
      else if (tag === V_FLOAT) this.f64();
      else if (tag === V_TEXT) this.skipText();
    }
    const np = this.uint();
    for (let i = 1; i < np; i++) this.uint();
    this.uint(); // label
    this.skipText(); // stack
  }

  /** What writeExtra in core/event-batch-bin.ts wrote, into the event. */
  extra(e: LogEvent): void {
    const nf = this.uint();
    if (nf > 0) {
      const fields: NonNullable<LogEvent['fields']> = {};
      for (let i = 1; i < nf; i++) {
        const k = this.ref();
        const tag = this.uint();
        const v =
          tag === V_NULL
            ? null
            : tag === V_FALSE
              ? false
              : tag === V_TRUE
                ? true
                : tag === V_INT
                  ? this.int()
                  : tag === V_FLOAT
                    ? this.f64()
                    : tag === V_TEXT
                      ? this.text(e.raw)
                      : undefined;
        if (k === undefined || v === undefined) this.fail('bad fields');
        else fields[k] = v;
      }
      e.fields = fields;
    }
    const np = this.uint();
    if (np > 0) {
      const problems: string[] = [];
      for (let i = 1; i < np; i++) {
        const p = this.ref();
        if (p === undefined) this.fail('bad problems');
        else problems.push(p);
      }
      e.problems = problems;
    }
    e.label = this.ref();
    const stack = this.text(e.raw);
    if (stack !== undefined) e.stack = stack;
  }

  /** A number as num() in core/event-batch-bin.ts wrote it. */
  num(): number | undefined {
    const c = this.uint();
    if (c === 0) return undefined;
    if (c >= 2) return c - 2;
    const x = this.f64();
    return Number.isFinite(x) && x >= 0 ? x : undefined;
  }
}

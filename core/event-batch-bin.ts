// The binary form of a batch of LogEvents (version 3, content type EVENT_BATCH_BIN_TYPE), for the hop from
// parse-log to detect-anomaly. Same information as version 2 (core/event-batch.ts), lossless, in fewer
// bytes and with less work at both ends: varints instead of JSON numbers, one table of the batch's
// repeated texts, pieces of the raw line as offsets, and the raw lines as UTF-8 runs rather than escaped
// text. Every byte of this hop is paid for in parse-log, the gateway, the connector, RabbitMQ and
// detect-anomaly (docs/capacity.md). Read back by core/event-batch-bin-read.ts. Pure.
import { ByteWriter } from './byte-codec.js';
import type { HttpFields, LogEvent } from './event.js';
import { canonicalMs, spanAt } from './event-batch.js';
import { type DayCache, MAX_DATE_MS } from './event-time.js';

export const EVENT_BATCH_BIN_TYPE = 'application/vnd.logfaas.events.bin';

/** "LFEB" then the version byte. */
export const BIN_MAGIC = [0x4c, 0x46, 0x45, 0x42] as const;
export const BIN_VERSION = 3;

/** Row flags. */
export const F_TIME_TEXT = 1;
export const F_HTTP = 2;
export const F_EXTRA = 4;
/** The rarely present fields as JSON: a field value that is not a string, number, boolean or null. */
export const F_EXTRA_JSON = 8;

/** Field value tags. */
export const V_NULL = 0;
export const V_FALSE = 1;
export const V_TRUE = 2;
export const V_INT = 3;
export const V_FLOAT = 4;
export const V_TEXT = 5;

/**
 * Layout: magic, version, n (uint), t0 (int), the table (strings), the raw lines (strings, one per row),
 * then n rows, each:
 * - flags; time: its offset from t0 (int), or with F_TIME_TEXT the table index of its text;
 * - origin (text field); source, service, host, level (table refs); message (text field); format,
 *   template id, template (table refs); params: count, then a text field each;
 * - with F_HTTP: method (ref), path (text field), status, latency_ms, bytes (numbers), user agent (ref),
 *   client address (text field);
 * - with F_EXTRA: fields (count + 1, 0 absent; per field its name's ref, a value tag and the value: an int,
 *   a float64, or a text field), problems (count + 1, 0 absent; a ref each), label (ref), stack (text
 *   field); with F_EXTRA_JSON instead, the table ref of the JSON of {fields, problems, label, stack}.
 * A table ref is index + 1, 0 for absent. A text field is 0 when absent, 2 × index + 1 for a table entry,
 * or 2 × offset + 2 followed by the length for a piece of the raw line. A number is 0 when absent (or
 * not finite and >= 0: readers drop those), an integer k as k + 2, else 1 and a float64.
 * `times`: each event's time as epoch ms whose formatIso is exactly its timestamp, NaN where unknown.
 */
export function encodeEventBatchBin(
  events: readonly LogEvent[],
  times?: Float64Array,
): Uint8Array<ArrayBuffer> {
  const w = new EventBatchBinWriter(events.length);
  for (let k = 0; k < events.length; k++) w.add(events[k], times === undefined ? Number.NaN : times[k]);
  return w.done();
}

/**
 * encodeEventBatchBin one event at a time: a writer can take each event as it is made and let it go, so
 * a batch's events are never all alive at once (parse-log). `expected`: about how many events, to size
 * the buffer.
 */
export class EventBatchBinWriter {
  private readonly index = new Map<string, number>();
  private readonly table: string[] = [];
  private readonly rows: ByteWriter;
  private readonly raws: string[] = [];
  private readonly days: DayCache = { day: Number.NaN, prefix: '' };
  private t0: number | undefined;

  constructor(expected = 0) {
    this.rows = new ByteWriter(32 * expected + 64);
  }

  /** The next event; `time`: its time as epoch ms whose formatIso is exactly its timestamp, or NaN. */
  add(e: LogEvent, time: number): void {
    const { rows, ref, text } = this;
    const raw = e.raw;
    this.raws.push(raw);
    const h = e.http;
    const extra =
      e.fields !== undefined || e.problems !== undefined || e.label !== undefined || e.stack !== undefined;
    const json = extra && !flatFields(e.fields);
    const t = canonicalMs(e.timestamp, time, this.days);
    // A time a Date cannot hold goes as its text.
    const numeric = Math.abs(t) <= MAX_DATE_MS;
    rows.uint((numeric ? 0 : F_TIME_TEXT) | (h ? F_HTTP : 0) | (extra ? (json ? F_EXTRA_JSON : F_EXTRA) : 0));
    if (numeric) {
      this.t0 ??= t;
      rows.int(t - this.t0);
    } else rows.uint(ref(e.timestamp) - 1);
    text(raw, e.timestampOriginal);
    rows.uint(ref(e.source));
    rows.uint(ref(e.service));
    rows.uint(ref(e.host));
    rows.uint(ref(e.level));
    text(raw, e.message);
    rows.uint(ref(e.format));
    rows.uint(ref(e.templateId));
    rows.uint(ref(e.template));
    const params = e.params;
    rows.uint(params.length);
    for (let i = 0; i < params.length; i++) text(raw, params[i]);
    if (h) writeHttp(rows, h, raw, ref, text);
    if (json)
      rows.uint(
        ref(JSON.stringify({ fields: e.fields, problems: e.problems, label: e.label, stack: e.stack })),
      );
    else if (extra) writeExtra(rows, e, ref, text);
  }

  /** The batch's bytes. */
  done(): Uint8Array<ArrayBuffer> {
    const rows = this.rows;
    const out = new ByteWriter(rows.at + 128 * this.raws.length + 1024);
    for (const b of BIN_MAGIC) out.uint(b);
    out.uint(BIN_VERSION);
    out.uint(this.raws.length);
    out.int(this.t0 ?? 0);
    out.strings(this.table);
    out.strings(this.raws);
    out.bytes(rows.done());
    return out.done();
  }

  private readonly ref = (s: string | undefined): number => {
    if (s === undefined) return 0;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.table.length;
      this.index.set(s, i);
      this.table.push(s);
    }
    return i + 1;
  };

  private readonly text = (raw: string, s: string | undefined): void => {
    const at = s === undefined ? -1 : spanAt(raw, s);
    if (s === undefined) this.rows.uint(0);
    else if (at < 0) this.rows.uint(2 * (this.ref(s) - 1) + 1);
    else {
      this.rows.uint(2 * at + 2);
      this.rows.uint(s.length);
    }
  };
}

function writeHttp(
  rows: ByteWriter,
  h: HttpFields,
  raw: string,
  ref: (s: string | undefined) => number,
  text: (raw: string, s: string | undefined) => void,
): void {
  rows.uint(ref(h.method));
  text(raw, h.path);
  num(rows, h.status);
  num(rows, h.latency_ms);
  num(rows, h.bytes);
  rows.uint(ref(h.user_agent));
  text(raw, h.client_ip);
}

/** Whether every field value is one the binary form carries (the schema's; a JSON line's nested objects are not). */
function flatFields(fields: LogEvent['fields']): boolean {
  if (fields === undefined) return true;
  for (const k in fields) {
    const v = fields[k];
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return false;
  }
  return true;
}

function writeExtra(
  rows: ByteWriter,
  e: LogEvent,
  ref: (s: string | undefined) => number,
  text: (raw: string, s: string | undefined) => void,
): void {
  const { fields, problems } = e;
  if (fields === undefined) rows.uint(0);
  else {
    const keys = Object.keys(fields);
    rows.uint(keys.length + 1);
    for (const k of keys) {
      rows.uint(ref(k));
      const v = fields[k];
      if (v === null) rows.uint(V_NULL);
      else if (typeof v === 'boolean') rows.uint(v ? V_TRUE : V_FALSE);
      else if (typeof v === 'string') {
        rows.uint(V_TEXT);
        text(e.raw, v);
      } else if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
        rows.uint(V_INT);
        rows.int(v);
      } else {
        rows.uint(V_FLOAT);
        rows.f64(v);
      }
    }
  }
  if (problems === undefined) rows.uint(0);
  else {
    rows.uint(problems.length + 1);
    for (const p of problems) rows.uint(ref(p));
  }
  rows.uint(ref(e.label));
  text(e.raw, e.stack);
}

function num(w: ByteWriter, x: number | undefined): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) w.uint(0);
  else if (Number.isInteger(x) && x <= 2 ** 52) w.uint(x + 2);
  else {
    w.uint(1);
    w.f64(x);
  }
}

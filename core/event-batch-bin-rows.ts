// The rows of a binary batch (core/event-batch-bin.ts) as core/event-batch-bin-read.ts reads them: each
// value read to its end whatever it holds, what was wrong with the row kept in `why`. Pure.
import { ByteReader } from './byte-codec.js';
import { canonical } from './canonical.js';
import type { LogEvent } from './event.js';
import {
  BIN_MAGIC,
  F_HTTP,
  F_TIME_TEXT,
  V_FALSE,
  V_FLOAT,
  V_INT,
  V_NULL,
  V_TEXT,
  V_TRUE,
} from './event-batch-bin.js';
import { MAX_DATE_MS } from './event-time.js';

/** The row values, each read to its end whatever it holds; `why` says what was wrong with the row. */
export class Rows extends ByteReader {
  table: string[] = [];
  /** The table's entries ref() has returned, as canonical strings. */
  private readonly canon: (string | undefined)[] = [];
  why: string | undefined;
  /** Where the text textLength() last read starts in its raw line; -1 - i for table entry i. */
  private textAt = 0;

  constructor(body: Uint8Array) {
    super(body, BIN_MAGIC.length);
  }

  fail(why: string | undefined): void {
    this.why ??= why;
  }

  /**
   * A categorical value from the table (source, level, template id, method, a field's key...), as the
   * same string object batch after batch (core/canonical.ts), made once per entry and batch.
   */
  ref(): string | undefined {
    const i = this.entry();
    if (i < 0) return undefined;
    const known = this.canon[i];
    return known !== undefined ? known : (this.canon[i] = canonical(this.table[i]));
  }

  /** ref() for a text seen once (an event's extra JSON): not kept among the canonical strings. */
  refText(): string | undefined {
    const i = this.entry();
    return i < 0 ? undefined : this.table[i];
  }

  /** A table reference's entry (from 0); -1 for none, or for one past the table (the row then fails). */
  private entry(): number {
    const i = this.uint();
    if (i === 0) return -1;
    if (i <= this.table.length) return i - 1;
    this.fail('a table index past the table');
    return -1;
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
    const length = this.textLength(raw);
    return length < 0 ? undefined : this.lastText(raw, length);
  }

  /** The text textLength() last read, `length` long. */
  private lastText(raw: string, length: number): string {
    const at = this.textAt;
    return at < 0 ? this.table[-1 - at] : raw.slice(at, at + length);
  }

  /** A text field checked as text() checks it, without making its string (undefined either way). */
  check(raw: string): undefined {
    this.textLength(raw);
    return undefined;
  }

  /** A row's params. */
  params(raw: string): string[] {
    const params: string[] = [];
    for (let count = this.uint(); count > 0; count--) {
      const p = this.text(raw);
      if (p !== undefined) params.push(p);
      else this.fail('params must be strings');
    }
    return params;
  }

  /**
   * The first of a row's longest params, alone (or none), each param checked as params() checks it; in
   * `into` when given (emptied first).
   */
  longestParam(raw: string, into?: string[]): string[] {
    let bestAt = 0;
    let bestLength = -1;
    for (let count = this.uint(); count > 0; count--) {
      const length = this.textLength(raw);
      if (length < 0) this.fail('params must be strings');
      else if (length > bestLength) {
        bestLength = length;
        bestAt = this.textAt;
      }
    }
    const out = into ?? [];
    // pop(), not `length = 0`: setting an array's length is a runtime call, dearer than the rest here.
    while (out.length > 0) out.pop();
    if (bestLength < 0) return out;
    this.textAt = bestAt;
    out.push(this.lastText(raw, bestLength));
    return out;
  }

  /** A text field's length, without making its string (text() makes it); -1 absent or bad. */
  textLength(raw: string): number {
    const c = this.uint();
    if (c === 0) return -1;
    if (c % 2 === 1) {
      const i = (c - 1) / 2;
      this.textAt = -1 - i;
      if (i < this.table.length) return this.table[i].length;
      this.fail('a table index past the table');
      return -1;
    }
    const at = (c - 2) / 2;
    const length = this.uint();
    this.textAt = at;
    if (at + length <= raw.length) return length;
    this.fail('bad text offsets');
    return -1;
  }

  /** What the lean decode leaves out of the row that starts here, read through to the row's end. */
  row(raw: string, t0: number): { origin?: string; params: string[]; clientIp?: string } {
    const flags = this.uint();
    if (flags & F_TIME_TEXT) this.uint();
    else this.time(t0);
    const origin = this.text(raw);
    for (let i = 0; i < 4; i++) this.uint(); // source, service, host, level
    this.skipText(); // message
    for (let i = 0; i < 3; i++) this.uint(); // format, template id, template
    const params = this.params(raw);
    let clientIp: string | undefined;
    if (flags & F_HTTP) {
      this.skipHttpHead();
      clientIp = this.text(raw);
    }
    return { origin, params, clientIp };
  }

  /** Past an HTTP block's fields before its client address. */
  skipHttpHead(): void {
    this.uint(); // method
    this.skipText(); // path
    this.skipNum(); // status
    this.skipNum(); // latency
    this.skipNum(); // bytes
    this.uint(); // user agent
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

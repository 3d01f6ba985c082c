// Multi-line events: groups log lines into records (a log line plus its Java/Kotlin stack trace, Python
// traceback, Go panic dump or indented continuation lines), as Vector's `multiline` and Fluent Bit's
// built-in multiline parsers (java, python, go) do. Pure and streaming: push lines, get complete
// records; the open record's state can be saved and restored. The only home of these rules: parse-log,
// the producer and the CLI all group with this class.

export interface MultilineLimits {
  /** Lines per record; more are cut into a new record and both parts flagged `multiline_truncated`. */
  maxLines: number;
  /** Bytes per record (UTF-16 units, ≈ bytes for ASCII, as MAX_LINE_BYTES counts them). */
  maxBytes: number;
}

// 500 lines / 64 KiB: a deep Java trace with a few `Caused by` sections is 100-300 lines (Spring's run
// ~200); a Go dump of many goroutines is cut rather than made one event of megabytes.
export const DEFAULT_MULTILINE_LIMITS: Readonly<MultilineLimits> = Object.freeze({
  maxLines: 500,
  maxBytes: 64 * 1024,
});

/** Problem flagged on each part of a record cut at the limits. */
export const MULTILINE_TRUNCATED = 'multiline_truncated';

export interface LineRecord {
  lines: string[];
  /** Index of the record's first line in the sequence of pushed lines. */
  first: number;
  /** The record was cut at the limits (this part is a head, a middle or a tail). */
  cut: boolean;
}

/** What kind of trace the open record is in; it decides which lines still belong to it. */
export type TraceMode = 'plain' | 'java' | 'python' | 'python-end' | 'go';

/** The open record, enough to resume grouping elsewhere (JSON-serialisable). */
export interface PendingRecord {
  lines: string[];
  first: number;
  mode: TraceMode;
  /** Blank lines seen after `lines`, which belong to the record only if a trace line follows them. */
  blanks: number;
  cut: boolean;
  bytes: number;
}

const JAVA_EXCEPTION = /^(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error|Throwable)(?::|$)/;
const JAVA_THREAD = /^Exception in thread "/;
const JAVA_CAUSE = /^(?:Caused by|Suppressed): /;
const PY_TRACEBACK = /^Traceback \(most recent call last\):\s*$/;
const PY_CHAIN =
  /^(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)\s*$/;
/** `ValueError: msg`, `mod.CustomError`, `KeyboardInterrupt`: the last line of a traceback. */
const PY_END = /^[A-Za-z_][\w.]*(?::|$)/;
const GO_HEADER = /^(?:panic: |fatal error: )/;
/** A goroutine dump's header continues any record: net/http logs `http: panic serving ...` before one. */
const GO_GOROUTINE = /^goroutine \d+ \[[^\]]*\]:$/;
const GO_LINE =
  /^(?:goroutine \d+ \[|created by |exit status \d+$|\[signal |runtime stack:|\[recovered\]|[A-Za-z_][\w./*()[\]{}-]*\(.*\)$)/;
const TAB = 9;
const SPACE = 32;

const isBlank = (l: string): boolean => l.trim() === '';
const indented = (l: string): boolean => {
  const c = l.charCodeAt(0);
  return c === SPACE || c === TAB;
};

/** The mode a line opens when it starts a record. */
function headerMode(line: string): TraceMode {
  if (GO_HEADER.test(line)) return 'go';
  if (PY_TRACEBACK.test(line)) return 'python';
  if (JAVA_EXCEPTION.test(line) || JAVA_THREAD.test(line)) return 'java';
  return 'plain';
}

/** The mode after `line` if it continues a record in `mode`, or null when it starts a new record. */
function continues(line: string, mode: TraceMode): TraceMode | null {
  if (indented(line)) return mode;
  if (mode === 'python' && PY_END.test(line)) return 'python-end'; // the line that ends a traceback
  if (PY_TRACEBACK.test(line)) return 'python';
  if (mode === 'python-end' && PY_CHAIN.test(line)) return 'python-end';
  if (JAVA_CAUSE.test(line) || JAVA_EXCEPTION.test(line) || JAVA_THREAD.test(line)) return 'java';
  if ((mode === 'go' && GO_LINE.test(line)) || GO_GOROUTINE.test(line)) return 'go';
  return null;
}

/** After blank lines, only these continue a record: the next part of a Go dump or a chained traceback. */
function continuesAfterBlank(line: string, mode: TraceMode): boolean {
  if (mode === 'go') return GO_LINE.test(line) || indented(line);
  if (mode === 'python-end') return PY_CHAIN.test(line) || PY_TRACEBACK.test(line);
  return false;
}

/** Streaming grouper: `push` each line in order, `end` at the end of input. */
export class MultilineGrouper {
  private open: PendingRecord | null;
  private next: number;

  constructor(
    private readonly limits: MultilineLimits = DEFAULT_MULTILINE_LIMITS,
    pending?: PendingRecord | null,
  ) {
    this.open = pending ? { ...pending, lines: pending.lines.slice() } : null;
    this.next = pending ? pending.first + pending.lines.length + pending.blanks : 0;
  }

  /** Adds one line; returns the records it completed (often none, sometimes several). */
  push(line: string): LineRecord[] {
    const out: LineRecord[] = [];
    const index = this.next++;
    const o = this.open;
    if (isBlank(line)) {
      if (o && (o.mode === 'go' || o.mode === 'python-end')) o.blanks++;
      else {
        this.close(out);
        out.push({ lines: [line], first: index, cut: false });
      }
      return out;
    }
    if (o && o.blanks > 0) {
      if (continuesAfterBlank(line, o.mode)) {
        for (let i = 0; i < o.blanks; i++) this.append(out, '', index - o.blanks + i);
        this.open!.blanks = 0;
        this.append(out, line, index);
        this.open!.mode = PY_TRACEBACK.test(line) ? 'python' : this.open!.mode;
        return out;
      }
      this.close(out);
    } else if (o) {
      const mode = continues(line, o.mode);
      if (mode !== null) {
        this.append(out, line, index);
        this.open!.mode = mode;
        return out;
      }
      this.close(out);
    }
    this.open = {
      lines: [line],
      first: index,
      mode: headerMode(line),
      blanks: 0,
      cut: false,
      bytes: line.length,
    };
    return out;
  }

  /** End of input: every remaining line, as records. */
  end(): LineRecord[] {
    const out: LineRecord[] = [];
    this.close(out);
    return out;
  }

  /** Whether the open record looks like it may go on: it has continuation lines, or opens a trace. */
  mayContinue(): boolean {
    const o = this.open;
    return o !== null && (o.lines.length > 1 || o.mode !== 'plain' || o.blanks > 0);
  }

  /** The open record (with its trailing blank lines counted, not included), or null. */
  pending(): PendingRecord | null {
    return this.open ? { ...this.open, lines: this.open.lines.slice() } : null;
  }

  /** Appends a continuation line, cutting the record first when it would pass the limits. */
  private append(out: LineRecord[], line: string, index: number): void {
    const o = this.open!;
    if (o.lines.length + 1 > this.limits.maxLines || o.bytes + 1 + line.length > this.limits.maxBytes) {
      out.push({ lines: o.lines, first: o.first, cut: true });
      this.open = { lines: [line], first: index, mode: o.mode, blanks: 0, cut: true, bytes: line.length };
      return;
    }
    o.lines.push(line);
    o.bytes += 1 + line.length;
  }

  private close(out: LineRecord[]): void {
    const o = this.open;
    if (!o) return;
    out.push({ lines: o.lines, first: o.first, cut: o.cut });
    const after = o.first + o.lines.length;
    for (let i = 0; i < o.blanks; i++) out.push({ lines: [''], first: after + i, cut: false });
    this.open = null;
  }
}

/**
 * False when no line could open a trace or continue a record: every line is then a record of its own and
 * grouping can be skipped (a quick scan with no allocation: nearly every batch of ordinary logs).
 */
export function mayGroup(lines: readonly string[]): boolean {
  for (let i = 0; i < lines.length; i++) if (MAY_GROUP.test(lines[i])) return true;
  return false;
}

/** Any line that opens a trace (headerMode) or continues a plain record (continues), in one regex. */
const MAY_GROUP =
  /^(?:[ \t]|Traceback \(most recent call last\):|Caused by: |Suppressed: |Exception in thread "|panic: |goroutine \d+ \[|fatal error: |(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error|Throwable)(?::|$))/;

/** Lines that open a trace with a fixed start: MAY_GROUP's literal alternatives, as bytes. */
const OPENERS = [
  'Traceback (most recent call last):',
  'Caused by: ',
  'Suppressed: ',
  'Exception in thread "',
  'panic: ',
  'goroutine ',
  'fatal error: ',
].map((s) => new TextEncoder().encode(s));
const THROWABLES = ['Exception', 'Error', 'Throwable'].map((s) => new TextEncoder().encode(s));
const NEWLINE = 0x0a;

/**
 * mayGroup for a body's lines as UTF-8 bytes (LF-separated, no line-ending CR, a BOM dropped), without
 * decoding them: true wherever mayGroup would be, and false for nearly every batch of ordinary logs. It
 * may say true where mayGroup would not (`goroutine` without its number, a class named only `Error`),
 * never the other way.
 */
export function mayGroupBytes(body: Uint8Array): boolean {
  let at = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  while (at <= body.length) {
    let end = body.indexOf(NEWLINE, at);
    if (end < 0) end = body.length;
    if (end > at && mayOpen(body, at, end)) return true;
    at = end + 1;
  }
  return false;
}

function mayOpen(b: Uint8Array, at: number, end: number): boolean {
  const c = b[at];
  if (c === 0x20 || c === 0x09) return true;
  if (!isWordStart(c)) return false;
  for (const o of OPENERS) if (startsWith(b, at, end, o)) return true;
  // A Java class line: the dotted name runs from the line's start to a ':' or the line's end.
  let k = at;
  let dot = false;
  for (; k < end && (isWord(b[k]) || b[k] === 0x2e); k++) if (b[k] === 0x2e) dot = true;
  if (!dot || (k < end && b[k] !== 0x3a)) return false;
  return THROWABLES.some((t) => k - t.length >= at && startsWith(b, k - t.length, k, t));
}

function startsWith(b: Uint8Array, at: number, end: number, s: Uint8Array): boolean {
  if (end - at < s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s[i]) return false;
  return true;
}

/** [A-Za-z_$] */
function isWordStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24;
}

/** [\w$] */
function isWord(c: number): boolean {
  return isWordStart(c) || (c >= 0x30 && c <= 0x39);
}

/** Every record of a complete input, in order. */
export function groupLines(lines: readonly string[], limits?: MultilineLimits): LineRecord[] {
  const g = new MultilineGrouper(limits);
  const out: LineRecord[] = [];
  for (const l of lines) for (const r of g.push(l)) out.push(r);
  for (const r of g.end()) out.push(r);
  return out;
}

/**
 * A record handed over whole (lines joined by `\n`, e.g. in parse-log's envelope): its first line and
 * the rest, the rest held to the limits (cut, and `cut` set, past them).
 */
export function splitRecord(
  text: string,
  limits: MultilineLimits = DEFAULT_MULTILINE_LIMITS,
): { first: string; stack?: string; cut: boolean } {
  const nl = text.indexOf('\n');
  if (nl === -1) return { first: text, cut: false };
  const first = text.charCodeAt(nl - 1) === 13 ? text.slice(0, nl - 1) : text.slice(0, nl);
  let stack = text.slice(nl + 1);
  let cut = false;
  const room = Math.max(0, limits.maxBytes - first.length - 1);
  if (stack.length > room) {
    stack = stack.slice(0, room);
    cut = true;
  }
  let lines = 2; // the first line and the stack's first
  if (limits.maxLines < 2) return { first, cut: true };
  for (let i = stack.indexOf('\n'); i !== -1; i = stack.indexOf('\n', i + 1)) {
    if (++lines > limits.maxLines) {
      stack = stack.slice(0, i);
      cut = true;
      break;
    }
  }
  return stack === '' && !cut ? { first, cut } : { first, stack, cut };
}

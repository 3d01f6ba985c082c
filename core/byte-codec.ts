// Varints and blocks of strings in a growing byte buffer, for binary bodies between our own functions
// (core/event-batch-bin.ts). Strings go as a few large UTF-8 runs, not one encode or decode per string:
// each call costs more than a short string's bytes. Pure.
import { hasLoneSurrogate } from './line-escape.js';

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/**
 * UTF-16 units decoded into one string at most: a run stays a small string at both ends (V8 keeps a
 * string past 128 KB in a space of its own whose pages are fresh memory, docs/capacity.md).
 */
const RUN_UNITS = 32 * 1024;

export class TruncatedError extends Error {
  override name = 'TruncatedError';
}

export class ByteWriter {
  buf: Uint8Array<ArrayBuffer>;
  at = 0;
  private text?: Buffer;
  private view?: DataView;

  constructor(size = 4096) {
    this.buf = new Uint8Array(size);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }

  /** An unsigned integer up to 2^53 - 1, 7 bits a byte. */
  uint(n: number): void {
    this.room(8);
    const b = this.buf;
    if (n < 0x80) {
      b[this.at++] = n;
      return;
    }
    while (n >= 0x80000000) {
      b[this.at++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    while (n >= 0x80) {
      b[this.at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[this.at++] = n;
  }

  /** A safe integer of either sign (zigzag: 0, -1, 1, -2, ... as 0, 1, 2, 3, ...). */
  int(n: number): void {
    this.uint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  f64(x: number): void {
    this.room(8);
    // One view a buffer (a view a number was garbage a number).
    if (this.view?.buffer !== this.buf.buffer) this.view = new DataView(this.buf.buffer, this.buf.byteOffset);
    this.view.setFloat64(this.at, x, true);
    this.at += 8;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  /**
   * Strings as runs: per run its count, each string's UTF-16 length (doubled, +1 when the string is sent
   * as its JSON text because it holds a lone surrogate, which UTF-8 cannot carry), then the run's UTF-8.
   */
  strings(list: readonly string[]): void {
    let runs = 0;
    for (let i = 0; i < list.length; runs++) i = runEnd(list, i);
    this.uint(runs);
    for (let i = 0; i < list.length; ) {
      const end = runEnd(list, i);
      this.uint(end - i);
      let text = '';
      for (let k = i; k < end; k++) {
        let s = list[k];
        const json = hasLoneSurrogate(s);
        if (json) s = JSON.stringify(s);
        this.uint(s.length * 2 + (json ? 1 : 0));
        text += s;
      }
      // The run's byte count, as a 5-byte varint written once the text is encoded (readers take
      // non-minimal varints).
      this.room(text.length * 3 + 5);
      const size = this.at;
      const { written } = ENCODER.encodeInto(text, this.buf.subarray(size + 5));
      let n = written;
      for (let k = 0; k < 4; k++, n = Math.floor(n / 128)) this.buf[size + k] = (n % 128) | 0x80;
      this.buf[size + 4] = n;
      this.at = size + 5 + written;
      i = end;
    }
  }

  /** `length` bytes already written from `from` written again at the end. */
  copyWithin(from: number, length: number): void {
    this.room(length);
    this.buf.copyWithin(this.at, from, from + length);
    this.at += length;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  /**
   * `s` as UTF-8 (a lone surrogate as U+FFFD, as TextEncoder writes it); no length before it. Written
   * through a Buffer over the same memory: encodeInto needs a view and a result object per call.
   */
  utf8(s: string): void {
    this.room(s.length * 3);
    if (this.text?.buffer !== this.buf.buffer) this.text = Buffer.from(this.buf.buffer);
    this.at += this.text.write(s, this.at);
  }

  /** `n` in decimal as String(n) writes it, in ASCII; returns how many characters that is. */
  decimal(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0) {
      const s = String(n);
      this.utf8(s);
      return s.length;
    }
    this.room(16);
    // Up to 8 digits at a time in 32-bit integers: a float division per digit cost more than the rest
    // of a search line's writing (an epoch-ms time has 13).
    if (n < 1e8) return this.digits(n, 0);
    const high = Math.floor(n / 1e8);
    return this.digits(high, 0) + this.digits(n - high * 1e8, 8);
  }

  /** `n` (< 1e8) in decimal, zero-padded to `width` digits. */
  private digits(n: number, width: number): number {
    let count = 1;
    for (let x = n; x >= 10; x = (x / 10) | 0) count++;
    if (count < width) count = width;
    const b = this.buf;
    for (let i = this.at + count - 1, x = n | 0; i >= this.at; i--, x = (x / 10) | 0) b[i] = 0x30 + (x % 10);
    this.at += count;
    return count;
  }

  done(): Uint8Array<ArrayBuffer> {
    return this.buf.subarray(0, this.at);
  }
}

/** The end of the run that starts at `i`: at least one string, at most RUN_UNITS units after that. */
function runEnd(list: readonly string[], i: number): number {
  let units = list[i].length;
  let k = i + 1;
  while (k < list.length && units + list[k].length <= RUN_UNITS) units += list[k++].length;
  return k;
}

export class ByteReader {
  at: number;
  private view?: DataView;

  constructor(
    readonly buf: Uint8Array,
    at = 0,
  ) {
    this.at = at;
  }

  uint(): number {
    const b = this.buf;
    if (this.at >= b.length) throw new TruncatedError('the body ends early');
    let c = b[this.at++];
    if (c < 0x80) return c;
    let x = c & 0x7f;
    let scale = 128;
    for (;;) {
      if (this.at >= b.length) throw new TruncatedError('the body ends early');
      c = b[this.at++];
      x += (c & 0x7f) * scale;
      if (c < 0x80) break;
      scale *= 128;
      if (scale > 2 ** 49) throw new TruncatedError('a number is too long');
    }
    if (!Number.isSafeInteger(x)) throw new TruncatedError('a number is too large');
    return x;
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  f64(): number {
    if (this.at + 8 > this.buf.length) throw new TruncatedError('the body ends early');
    this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    const x = this.view.getFloat64(this.at, true);
    this.at += 8;
    return x;
  }

  /**
   * Past what ByteWriter.strings wrote, without decoding it; returns how many strings it holds. Throws
   * TruncatedError when the body does not hold it (its UTF-8 is not checked: strings() does that).
   */
  skipStrings(): number {
    let n = 0;
    for (let runs = this.uint(); runs > 0; runs--) {
      const { count, size } = this.runHead();
      n += count;
      this.at += size;
    }
    return n;
  }

  /**
   * What ByteWriter.strings wrote. Throws TruncatedError when the body does not hold it. `spans`, when
   * given, gets each string's byte offset in the body where its bytes are its text's ASCII with no
   * character escapeLine would change, so they can be copied as they are; -1 for the others.
   */
  strings(spans?: number[]): string[] {
    const out: string[] = [];
    const lengths: number[] = [];
    for (let runs = this.uint(); runs > 0; runs--) {
      lengths.length = 0;
      const { units, size } = this.runHead(lengths);
      let text: string;
      try {
        text = DECODER.decode(this.buf.subarray(this.at, this.at + size));
      } catch {
        throw new TruncatedError('a string is not UTF-8');
      }
      if (text.length !== units) throw new TruncatedError('string lengths do not match their text');
      const first = out.length;
      let from = 0;
      for (const l of lengths) {
        const s = text.slice(from, from + Math.floor(l / 2));
        if (spans) spans.push(l % 2 === 0 ? this.at + from : -1);
        from += Math.floor(l / 2);
        out.push(l % 2 === 0 ? s : fromJson(s));
      }
      // Offsets so far count a byte a unit, which is exact for an all-ASCII run (as many bytes as units).
      if (spans && size !== units) markNonAscii(text, spans, first, lengths);
      if (spans) markEscaped(text, spans, first, lengths);
      this.at += size;
    }
    return out;
  }

  /**
   * A run's header: its string count, their lengths (pushed to `lengths` when given) and UTF-16 units in
   * all, and the byte size of its text, which the body is checked to hold; the text is next.
   */
  private runHead(lengths?: number[]): { count: number; units: number; size: number } {
    const count = this.uint();
    if (count > this.buf.length - this.at) throw new TruncatedError('the body ends early');
    let units = 0;
    for (let k = 0; k < count; k++) {
      const l = this.uint();
      lengths?.push(l);
      units += Math.floor(l / 2);
    }
    const size = this.uint();
    if (this.at + size > this.buf.length) throw new TruncatedError('the body ends early');
    return { count, units, size };
  }
}

const ESCAPED = /[\\\t\n\r]/g;
const NON_ASCII = /[^\x00-\x7f]+/g;

/**
 * In a run that is not all ASCII: -1 for each string holding a character past ASCII, and the byte
 * offsets of the strings after one moved on by the bytes its characters take beyond one a unit.
 */
function markNonAscii(text: string, spans: number[], first: number, lengths: readonly number[]): void {
  NON_ASCII.lastIndex = 0;
  let k = 0;
  let end = Math.floor(lengths[0] / 2);
  let shift = 0;
  for (let m = NON_ASCII.exec(text); m !== null; m = NON_ASCII.exec(text)) {
    while (m.index >= end) {
      end += Math.floor(lengths[++k] / 2);
      if (spans[first + k] >= 0) spans[first + k] += shift;
    }
    spans[first + k] = -1;
    // A stretch of such characters can run on into the next strings.
    while (m.index + m[0].length > end) {
      end += Math.floor(lengths[++k] / 2);
      spans[first + k] = -1;
    }
    shift += extraBytes(m[0]);
  }
  while (++k < lengths.length) if (spans[first + k] >= 0) spans[first + k] += shift;
}

/** UTF-8 bytes of `s` (no ASCII in it, no lone surrogate) beyond one a UTF-16 unit. */
function extraBytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 2 bytes below U+0800, 4 for a surrogate pair's 2 units, 3 for the rest of the BMP.
    n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

/** -1 in `spans` (from `first`) for each string of a run's text that holds a character escapeLine escapes. */
function markEscaped(text: string, spans: number[], first: number, lengths: readonly number[]): void {
  // Four native scans: on a run without any, faster than the regex's one.
  if (text.indexOf('\\') < 0 && text.indexOf('\t') < 0 && text.indexOf('\n') < 0 && text.indexOf('\r') < 0)
    return;
  ESCAPED.lastIndex = 0;
  let k = 0;
  let end = Math.floor(lengths[0] / 2);
  for (let m = ESCAPED.exec(text); m !== null; m = ESCAPED.exec(text)) {
    while (m.index >= end) end += Math.floor(lengths[++k] / 2);
    spans[first + k] = -1;
    // On to the next string: the rest of this one is already decided.
    ESCAPED.lastIndex = end;
    if (end >= text.length) break;
  }
}

function fromJson(s: string): string {
  try {
    const x = JSON.parse(s);
    if (typeof x === 'string') return x;
  } catch {}
  throw new TruncatedError('a JSON-sent string is not one');
}

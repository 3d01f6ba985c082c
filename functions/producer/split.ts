// Splits a raw text body into bounded batches of whole lines: pure, zero-copy where the input allows.
import { isUtf8 } from 'node:buffer';

export interface TextBatch {
  /** The batch's lines joined by `\n` (no trailing newline, no `\r`). */
  body: Uint8Array;
  lines: number;
}

const LF = 10;
const CR = 13;

/**
 * Lines are split on `\n` with a trailing `\r` stripped; an empty last line (a final newline) is not a
 * line. A batch holds at most `maxLines` lines and `maxBytes` bytes, except that one line longer than
 * `maxBytes` travels alone (parse-log truncates it and says so on the event). With `starts` (1 where a
 * record starts, per line: functions/producer/records.ts) a batch ends only before a record start, so a
 * multi-line record stays in one batch, unless the record alone is over the limits.
 */
export function splitBatches(
  input: Uint8Array,
  maxLines: number,
  maxBytes: number,
  starts?: Uint8Array,
): TextBatch[] {
  const buf = stripLineCr(input);
  const out: TextBatch[] = [];
  let start = 0; // first byte of the open batch
  let lines = 0;
  let pos = 0;
  let line = 0;
  let recPos = 0; // first byte of the open record, and the batch's lines before it
  let recLines = 0;
  while (pos < buf.length) {
    let nl = buf.indexOf(LF, pos);
    if (nl === -1) nl = buf.length;
    if (!starts || starts[line] === 1) {
      recPos = pos;
      recLines = lines;
    }
    // Would this line overflow the open batch? Close the batch before the open record, or else before it.
    if (lines > 0 && (lines >= maxLines || nl - start > maxBytes)) {
      if (recPos > start && recLines > 0) {
        out.push({ body: buf.subarray(start, recPos - 1), lines: recLines });
        start = recPos;
        lines -= recLines;
        recLines = 0;
      }
      if (lines > 0 && (lines >= maxLines || nl - start > maxBytes)) {
        out.push({ body: buf.subarray(start, pos - 1), lines });
        start = pos;
        lines = 0;
        recPos = pos;
      }
    }
    lines++;
    line++;
    pos = nl + 1;
  }
  if (lines > 0) out.push({ body: buf.subarray(start, Math.min(pos - 1, buf.length)), lines });
  return out;
}

/** The input with each `\r` that ends a line removed (the input itself when it has none). */
export function stripLineCr(input: Uint8Array): Uint8Array {
  return hasCr(input) ? stripCr(input) : input;
}

function hasCr(b: Uint8Array): boolean {
  return b.indexOf(CR) !== -1;
}

/** Removes each `\r` that ends a line (before `\n` or at the end), keeping any other `\r`. */
function stripCr(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === CR && (i + 1 === b.length || b[i + 1] === LF)) continue;
    out[n++] = c;
  }
  return out.subarray(0, n);
}

/** Share of a sample that is NUL bytes or invalid UTF-8; above BINARY_SHARE the body is not text. */
export function binaryShare(input: Uint8Array, sampleBytes = 64 * 1024): number {
  const sample = input.subarray(0, sampleBytes);
  if (sample.length === 0) return 0;
  // Nearly every body is clean text: two native scans say so, without decoding the sample.
  const cut = sample.length === sampleBytes;
  if (sample.indexOf(0) === -1 && isUtf8(cut ? wholeChars(sample) : sample)) return 0;
  let bad = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) bad++;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(sample);
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0xfffd) bad++;
  // A sample cut mid-character ends in one replacement char; do not count it.
  if (cut && text.charCodeAt(text.length - 1) === 0xfffd) bad--;
  return bad / sample.length;
}

/** A cut sample without its end where that is the start of a character (which the cut may have split). */
function wholeChars(b: Uint8Array): Uint8Array {
  let k = b.length;
  while (k > b.length - 2 && k > 0 && (b[k - 1] & 0xc0) === 0x80) k--;
  if (k === 0 || b[k - 1] < 0xc0) return b;
  // A streaming decode holds back exactly a sequence that is valid so far but unfinished.
  const unfinished = new TextDecoder('utf-8').decode(b.subarray(k - 1), { stream: true }) === '';
  return unfinished ? b.subarray(0, k - 1) : b;
}

/** 10%: a log file with a few corrupt lines is text (parse-log flags those lines); a PNG or ELF is not. */
export const BINARY_SHARE = 0.1;

export const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

// TCP syslog framing (RFC 6587): octet counting (`LEN SP MSG`) and non-transparent framing (MSG LF),
// told apart per frame by its first byte, as rsyslog's imtcp does. Pure: bytes in, frames out.

/** Why a frame was dropped; each one is a counter in /metrics. */
export type FrameProblem = 'bad_frame' | 'too_large';

export interface FrameSink {
  /** One message: `buf[start, end)`, without its framing. */
  frame(buf: Buffer, start: number, end: number): void;
  problem(p: FrameProblem): void;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const NUL = 0x00;
const D0 = 0x30;
const D9 = 0x39;
/** 10 digits already exceed any sane message size; more means we are not looking at a length. */
const MAX_LEN_DIGITS = 10;

/**
 * One connection's deframer. `push` each chunk as it arrives; frames are reported in order. A frame over
 * `maxBytes` is skipped (octet-counted: exactly its length; newline-framed: up to its LF) and counted;
 * a length that is not a number loses the framing, so the rest up to the next LF is dropped as one bad
 * frame and reading resumes after it: one bad frame never costs the frames after it.
 */
export class Deframer {
  /** Bytes of an unfinished frame carried to the next chunk. */
  private rest: Buffer | undefined;
  /** Bytes still to skip of an oversized octet-counted frame. */
  private skip = 0;
  /** Dropping up to the next LF (oversized newline frame or lost framing). */
  private toLf = false;

  constructor(
    private readonly maxBytes: number,
    private readonly sink: FrameSink,
  ) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    let pos = 0;
    const n = buf.length;
    while (pos < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - pos);
        this.skip -= k;
        pos += k;
        continue;
      }
      if (this.toLf) {
        const lf = buf.indexOf(LF, pos);
        if (lf === -1) return;
        this.toLf = false;
        pos = lf + 1;
        continue;
      }
      const c = buf[pos];
      // Separators some senders put between frames (a LF after an octet-counted frame, a NUL trailer).
      if (c === LF || c === CR || c === NUL || c === SP) {
        pos++;
        continue;
      }
      if (c >= D0 + 1 && c <= D9) {
        const r = this.octetCounted(buf, pos);
        if (r === -1) {
          this.keep(buf, pos);
          return;
        }
        pos = r;
        continue;
      }
      const lf = buf.indexOf(LF, pos);
      if (lf === -1) {
        if (n - pos > this.maxBytes) {
          this.sink.problem('too_large');
          this.toLf = true;
          return;
        }
        this.keep(buf, pos);
        return;
      }
      const end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
      if (end - pos > this.maxBytes) this.sink.problem('too_large');
      else this.sink.frame(buf, pos, end);
      pos = lf + 1;
    }
  }

  /** A connection that ends with an unterminated newline frame still delivers it (rsyslog does too). */
  end(): void {
    const r = this.rest;
    this.rest = undefined;
    if (!r || this.skip > 0 || this.toLf) return;
    if (r[0] >= D0 + 1 && r[0] <= D9) this.sink.problem('bad_frame');
    else if (r.length > this.maxBytes) this.sink.problem('too_large');
    else this.sink.frame(r, 0, r.length);
  }

  /** Reads `LEN SP MSG` at `pos`; the position after it, or -1 when more bytes are needed. */
  private octetCounted(buf: Buffer, pos: number): number {
    let len = 0;
    let i = pos;
    for (; i < buf.length && i - pos <= MAX_LEN_DIGITS; i++) {
      const c = buf[i];
      if (c === SP) break;
      if (c < D0 || c > D9) return this.lostFraming(buf, pos);
      len = len * 10 + (c - D0);
    }
    if (i - pos > MAX_LEN_DIGITS) return this.lostFraming(buf, pos);
    if (i === buf.length) return -1;
    const start = i + 1;
    if (len > this.maxBytes) {
      this.sink.problem('too_large');
      const have = Math.min(len, buf.length - start);
      this.skip = len - have;
      return start + have;
    }
    if (buf.length - start < len) return -1;
    this.sink.frame(buf, start, start + len);
    return start + len;
  }

  private lostFraming(buf: Buffer, pos: number): number {
    this.sink.problem('bad_frame');
    const lf = buf.indexOf(LF, pos);
    if (lf === -1) {
      this.toLf = true;
      return buf.length;
    }
    return lf + 1;
  }

  private keep(buf: Buffer, pos: number): void {
    // A copy: the chunk's memory is not pinned by a few leftover bytes.
    this.rest = Buffer.from(buf.subarray(pos));
  }
}

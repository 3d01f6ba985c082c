// Reads whole lines in bounded chunks, from a file at a byte offset (skipping ranges already sent)
// or from a stream. Chunks end on a newline; a last line without one is sent only at a real end. With
// multi-line grouping on, a chunk cut by its limits ends before its last record (core/multiline.ts), so
// no request splits a stack trace.
import type { FileHandle } from 'node:fs/promises';
import { MultilineGrouper, type MultilineLimits } from '../core/multiline.js';
import { EXIT } from './command.js';
import { CliError } from './gateway-client.js';
import type { Range } from './send-state.js';

export interface Chunk {
  start: number;
  end: number;
  lines: number;
  body: Uint8Array;
  /** The chunk ends between two records (or at the end of input): the producer holds nothing back. */
  whole?: boolean;
}

export interface ChunkLimits {
  maxLines: number;
  maxBytes: number;
  /** Group lines into records: chunks cut by their limits end on a record start. */
  multiline?: MultilineLimits;
}

const LF = 10;

/**
 * The next chunk at `pos` from data before `limit`, or null when no complete line is available.
 * `final`: `limit` is the end of input, so a trailing line without newline counts as a line.
 */
export async function readChunk(
  fh: FileHandle,
  pos: number,
  limit: number,
  o: ChunkLimits,
  final: boolean,
): Promise<Chunk | null> {
  const want = Math.min(o.maxBytes, limit - pos);
  if (want <= 0) return null;
  const buf = Buffer.allocUnsafe(want);
  const { bytesRead } = await fh.read(buf, 0, want, pos);
  return cut(buf.subarray(0, bytesRead), pos, o, final && bytesRead === limit - pos);
}

/** Cuts complete lines off the front of `data` (which starts at byte `pos`). */
export function cut(whole: Uint8Array, pos: number, o: ChunkLimits, atEnd: boolean): Chunk | null {
  const data = whole.length > o.maxBytes ? whole.subarray(0, o.maxBytes) : whole;
  const final = atEnd && data === whole;
  let lines = 0;
  let end = 0;
  let i = -1;
  while (lines < o.maxLines && (i = data.indexOf(LF, i + 1)) !== -1) {
    lines++;
    end = i + 1;
  }
  if (final && lines < o.maxLines && end < data.length) {
    lines++;
    end = data.length;
  }
  if (lines === 0) {
    if (data.length >= o.maxBytes)
      throw new CliError(
        `line at byte ${pos} is longer than ${o.maxBytes} bytes (--batch-bytes)`,
        EXIT.failure,
      );
    return null;
  }
  // More input follows: unless its next line starts a record, end before the last record (it is sent
  // with the next chunk).
  if (o.multiline && end < whole.length) {
    const nl = whole.indexOf(LF, end);
    const next = nl === -1 ? undefined : lenient.decode(whole.subarray(end, nl)).replace(/\r$/, '');
    const keep = recordLines(data.subarray(0, end), next, o.multiline);
    if (keep > 0 && keep < lines) {
      end = lineStart(data, keep);
      lines = keep;
    }
    return { start: pos, end: pos + end, lines, body: data.subarray(0, end), whole: keep > 0 };
  }
  return {
    start: pos,
    end: pos + end,
    lines,
    body: data.subarray(0, end),
    whole: final && end === whole.length,
  };
}

const lenient = new TextDecoder('utf-8', { fatal: false });

/**
 * How many of `body`'s lines end on a record boundary: all of them when `next` (the following line,
 * undefined when not known whole) starts a new record, else those before the last record; 0 when that
 * record is the whole body.
 */
function recordLines(body: Uint8Array, next: string | undefined, limits: MultilineLimits): number {
  const lines = lenient.decode(body).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const g = new MultilineGrouper(limits);
  for (const l of lines) g.push(l.endsWith('\r') ? l.slice(0, -1) : l);
  const open = g.pending()?.first;
  if (open === undefined) return lines.length;
  if (next !== undefined && g.push(next).some((r) => r.first === open)) return lines.length;
  return open;
}

/** Byte offset where line `index` of `body` starts. */
function lineStart(body: Uint8Array, index: number): number {
  let pos = 0;
  for (let k = 0; k < index; k++) pos = body.indexOf(LF, pos) + 1;
  return pos;
}

/** Chunks of a file from `from` to `size`, jumping over ranges already confirmed. */
export async function* fileChunks(
  fh: FileHandle,
  from: number,
  size: number,
  skip: readonly Range[],
  o: ChunkLimits,
  final: boolean,
): AsyncGenerator<Chunk> {
  let pos = from;
  const skips = [...skip].sort((a, b) => a.start - b.start).filter((r) => r.end > from);
  while (pos < size) {
    if (skips.length && skips[0].start <= pos) {
      pos = Math.max(pos, skips.shift()!.end);
      continue;
    }
    const limit = skips.length ? Math.min(size, skips[0].start) : size;
    const c = await readChunk(fh, pos, limit, o, final && limit === size);
    if (!c) return;
    yield c;
    pos = c.end;
  }
}

/**
 * Chunks of a stream (stdin); offsets count bytes from its start. Lines are held until a chunk is
 * full or a second has passed, so a slow pipe (`tail -f x | logfaas send`) still flows.
 */
export async function* streamChunks(
  stream: AsyncIterable<Uint8Array | string>,
  o: ChunkLimits,
  flushMs = 1000,
): AsyncGenerator<Chunk> {
  let pending: Buffer = Buffer.alloc(0);
  let pos = 0;
  let lastEmit = Date.now();
  for await (const part of stream) {
    pending = pending.length ? Buffer.concat([pending, Buffer.from(part)]) : Buffer.from(part);
    const plain = { maxLines: o.maxLines, maxBytes: o.maxBytes };
    for (let p = cut(pending, pos, plain, false); p; p = cut(pending, pos, plain, false)) {
      if (p.lines < o.maxLines && pending.length < o.maxBytes && Date.now() - lastEmit < flushMs) break;
      const c = o.multiline ? cut(pending, pos, o, false)! : p;
      yield c;
      lastEmit = Date.now();
      pending = pending.subarray(c.end - pos);
      pos = c.end;
    }
  }
  for (let c = cut(pending, pos, o, true); c; c = cut(pending, pos, o, true)) {
    yield c;
    pending = pending.subarray(c.end - pos);
    pos = c.end;
  }
}

/** True when the first 8 KiB hold a NUL byte (git's heuristic): a log file never does. */
export function looksBinary(head: Uint8Array): boolean {
  return head.indexOf(0) !== -1;
}

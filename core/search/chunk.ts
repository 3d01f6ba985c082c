// A chunk: one source's kept events of one batch, as the search store holds them (pure, no I/O).
// Blob: one line per event, `ts \t level \t templateId \t raw` with raw's \ tab, CR and LF escaped, so
// a text search runs over the blob as it is and only the lines it hits are decoded.
// Meta (JSON in the index entry): what a query can rule a chunk out by without reading its blob.

import { ByteWriter } from '../byte-codec.js';
import { escapeLine, unescapeLine } from '../line-escape.js';

export interface ChunkMeta {
  /** Source (one per chunk). */
  s: string;
  /** Written at (arrival, epoch ms): retention is by arrival, so a history import stays searchable. */
  w: number;
  /** Event time span (epoch ms) and line count. */
  a: number;
  b: number;
  n: number;
  /** Levels present. */
  l: string[];
  /** Template ids present; null when more than META_TEMPLATES (the chunk must be read to know). */
  t: string[] | null;
}

export interface KeptLine {
  /** Event time, epoch ms. */
  ts: number;
  level: string;
  templateId: string;
  raw: string;
}

/** Template ids listed in a chunk's meta; a batch of one source rarely has more. */
export const META_TEMPLATES = 64;
/** Characters of a raw line kept (the rest is cut): a search hit shows the line, not a whole dump. */
export const MAX_KEPT_CHARS = 8192;

const TAB = 0x09;
/** Levels' and template ids' UTF-8, shared by every chunk of the process; emptied when this full. */
const NAMES_MAX = 8192;
const NAMES = new Map<string, Uint8Array>();
const EMPTY: Uint8Array = new Uint8Array(0);
const NEWLINE = 0x0a;
const UTF8 = new TextEncoder();
/** A chunk's buffer is sized up front to at most this: a chunk ends once past CHUNK_CHARS (store.ts). */
const CHUNK_BYTES_MAX = 256 * 1024 + 16 * 1024;
/** What a line adds to its raw text: its time, level, template id, three tabs and its newline. */
export const LINE_OVERHEAD_BYTES = 48;
/**
 * Appends lines to a chunk's blob and meta. The blob is written as UTF-8 as each line comes, with no
 * string per line: those strings were a fifth of what detect-anomaly allocated (docs/capacity.md).
 */
export class ChunkBuilder {
  private readonly out: ByteWriter;
  private lines = 0;
  private chars = 0;
  private a = Number.POSITIVE_INFINITY;
  private b = Number.NEGATIVE_INFINITY;
  private readonly levels = new Set<string>();
  private readonly templates = new Set<string>();
  /** Where the last line's time was written, for the next line of the same time. */
  private lastTs = Number.NaN;
  private lastTsAt = 0;
  private lastTsLength = 0;
  /** The last line's level and template id, and their UTF-8: lines in a row often share them. */
  private level = '';
  private levelBytes: Uint8Array = EMPTY;
  private templateId = '';
  private templateBytes: Uint8Array = EMPTY;

  /** `bytes`: about how many bytes its lines will take, so its buffer rarely grows (a copy each time). */
  constructor(
    readonly source: string,
    bytes = 4096,
  ) {
    this.out = new ByteWriter(Math.max(256, Math.min(bytes, CHUNK_BYTES_MAX)));
  }

  /** Characters of the blob as text so far (its lines and their newlines). */
  get size(): number {
    return this.chars;
  }
  get count(): number {
    return this.lines;
  }

  add(ts: number, level: string, templateId: string, raw: string): void {
    const kept = raw.length > MAX_KEPT_CHARS ? raw.slice(0, MAX_KEPT_CHARS) : raw;
    const text = escapeLine(kept);
    this.head(ts, level, templateId, text.length);
    // Lone surrogates (JSON-parsed input can hold one) are written as U+FFFD, as TextEncoder writes them:
    // Redis's cjson rejects their escape, which would fail the batch.
    this.out.utf8(text);
  }

  /**
   * add() for a raw line whose bytes in `src` (`length` of them from `from`) are its text as ASCII with
   * nothing escapeLine would change: they are copied as they are, with no string encoded.
   */
  addAscii(ts: number, level: string, templateId: string, src: Uint8Array, from: number, length: number) {
    this.head(ts, level, templateId, length);
    this.out.bytes(src.subarray(from, from + length));
  }

  /** A line up to its raw text, and what it adds to the chunk's counts (`chars`: the raw text's). */
  private head(ts: number, level: string, templateId: string, chars: number): void {
    const out = this.out;
    if (this.lines > 0) out.byte(NEWLINE);
    const digits = this.time(ts);
    out.byte(TAB);
    if (level !== this.level) this.levelBytes = name((this.level = level));
    out.bytes(this.levelBytes);
    out.byte(TAB);
    if (templateId !== this.templateId) this.templateBytes = name((this.templateId = templateId));
    out.bytes(this.templateBytes);
    out.byte(TAB);
    this.lines++;
    this.chars += digits + level.length + templateId.length + chars + 4;
    if (ts < this.a) this.a = ts;
    if (ts > this.b) this.b = ts;
    this.levels.add(level);
    if (this.templates.size <= META_TEMPLATES) this.templates.add(templateId);
  }

  /** `ts` in decimal; a time equal to the line before's is copied (most lines of a batch share a second). */
  private time(ts: number): number {
    const out = this.out;
    if (ts === this.lastTs && this.lastTsLength > 0) {
      out.copyWithin(this.lastTsAt, this.lastTsLength);
      this.lastTsAt = out.at - this.lastTsLength;
      return this.lastTsLength;
    }
    const at = out.at;
    const digits = out.decimal(ts);
    this.lastTs = ts;
    this.lastTsAt = at;
    this.lastTsLength = digits;
    return digits;
  }

  /** The blob as UTF-8 (what the KV stores). */
  build(writtenAt: number): { blob: Uint8Array; meta: ChunkMeta } {
    return {
      blob: this.out.done(),
      meta: {
        s: this.source,
        w: writtenAt,
        a: this.a,
        b: this.b,
        n: this.lines,
        l: [...this.levels],
        t: this.templates.size > META_TEMPLATES ? null : [...this.templates],
      },
    };
  }
}

/** A level's or template id's UTF-8. */
function name(s: string): Uint8Array {
  let b = NAMES.get(s);
  if (b === undefined) {
    // Levels and template ids are few and come back batch after batch: encoded once, not per chunk.
    if (NAMES.size >= NAMES_MAX) NAMES.clear();
    b = UTF8.encode(s);
    NAMES.set(s, b);
  }
  return b;
}

/** The line of `blob` that starts at `start` (a line start: 0 or just after a '\n'). */
export function lineAt(blob: string, start: number): { line: KeptLine; end: number } | undefined {
  let end = blob.indexOf('\n', start);
  if (end < 0) end = blob.length;
  const t1 = blob.indexOf('\t', start);
  const t2 = t1 < 0 ? -1 : blob.indexOf('\t', t1 + 1);
  const t3 = t2 < 0 ? -1 : blob.indexOf('\t', t2 + 1);
  if (t3 < 0 || t3 > end) return undefined;
  return {
    line: {
      ts: Number(blob.slice(start, t1)),
      level: blob.slice(t1 + 1, t2),
      templateId: blob.slice(t2 + 1, t3),
      raw: unescapeLine(blob.slice(t3 + 1, end)),
    },
    end,
  };
}

/** Offset in the line starting at `start` where its raw text begins (after the third tab). */
export function rawOffset(blob: string, start: number): number {
  const t1 = blob.indexOf('\t', start);
  const t2 = blob.indexOf('\t', t1 + 1);
  return blob.indexOf('\t', t2 + 1) + 1;
}

/** Every line of a blob with its start offset, in order. */
export function allLines(blob: string): { line: KeptLine; start: number }[] {
  const out: { line: KeptLine; start: number }[] = [];
  let start = 0;
  while (start < blob.length) {
    const r = lineAt(blob, start);
    if (!r) break;
    out.push({ line: r.line, start });
    start = r.end + 1;
  }
  return out;
}

export function parseMeta(text: string): ChunkMeta | undefined {
  try {
    const m = JSON.parse(text) as ChunkMeta;
    return typeof m?.s === 'string' && typeof m.w === 'number' ? m : undefined;
  } catch {
    return undefined;
  }
}

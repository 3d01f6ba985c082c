// A chunk: one source's kept events of one batch, as the search store holds them (pure, no I/O).
// Blob: one line per event, `ts \t level \t templateId \t raw` with raw's \ tab, CR and LF escaped, so
// a text search runs over the blob as it is and only the lines it hits are decoded.
// Meta (JSON in the index entry): what a query can rule a chunk out by without reading its blob.

import { escapeLine, unescapeLine, wellFormed } from '../line-escape.js';
import { utf8Join } from '../utf8-text.js';

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

/** Appends lines to a chunk's blob and meta. */
export class ChunkBuilder {
  private parts: string[] = [];
  private chars = 0;
  private a = Number.POSITIVE_INFINITY;
  private b = Number.NEGATIVE_INFINITY;
  private readonly levels = new Set<string>();
  private readonly templates = new Set<string>();

  constructor(readonly source: string) {}

  get size(): number {
    return this.chars;
  }
  get count(): number {
    return this.parts.length;
  }

  add(ts: number, level: string, templateId: string, raw: string): void {
    const kept = raw.length > MAX_KEPT_CHARS ? raw.slice(0, MAX_KEPT_CHARS) : raw;
    // Lone surrogates (JSON-parsed input can hold one) become U+FFFD: Redis's cjson rejects their escape,
    // failing the batch. Checked piece by piece (level is one of LEVELS): testing the whole line flattened
    // it into a copy.
    const line = `${ts}\t${level}\t${wellFormed(templateId)}\t${wellFormed(escapeLine(kept))}`;
    this.parts.push(line);
    this.chars += line.length + 1;
    if (ts < this.a) this.a = ts;
    if (ts > this.b) this.b = ts;
    this.levels.add(level);
    if (this.templates.size <= META_TEMPLATES) this.templates.add(templateId);
  }

  /** The blob as UTF-8 (what the KV stores), encoded a few hundred lines at a time (core/utf8-join.ts). */
  build(writtenAt: number): { blob: Uint8Array; meta: ChunkMeta } {
    return {
      blob: utf8Join(this.parts, 256),
      meta: {
        s: this.source,
        w: writtenAt,
        a: this.a,
        b: this.b,
        n: this.parts.length,
        l: [...this.levels],
        t: this.templates.size > META_TEMPLATES ? null : [...this.templates],
      },
    };
  }
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

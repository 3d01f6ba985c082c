// Request body -> lines. Plain text is split on LF (a CR before it is dropped); bytes that are not
// valid UTF-8 are decoded with U+FFFD per line and that line alone is flagged `invalid_utf8`.
// The envelope (`application/vnd.logfaas.batch+json`) carries lines, labels, source, format and meta.
import { BadRequestError } from '../../core/errors.js';
import type { LineMeta } from '../../core/line-meta.js';

export const ENVELOPE_TYPE = 'application/vnd.logfaas.batch+json';

export interface Batch {
  lines: string[];
  labels?: (string | null)[];
  /** Problems found while decoding, per line index. */
  problems?: (string[] | undefined)[];
  source?: string;
  format?: string;
  /** Per line, what the sender's protocol already knew (time, level, fields): core/line-meta.ts. */
  meta?: (LineMeta | null)[];
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

export function splitText(bytes: Uint8Array): Batch {
  try {
    return { lines: splitLines(decodePieces(bytes)) };
  } catch {
    return splitInvalid(bytes);
  }
}

/** Bytes decoded per string at most (whole lines): a string past 128 KB is fresh memory every time (core/utf8-join.ts). */
const PIECE_BYTES = 64 * 1024;
const strictMid = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body's text in pieces of whole lines, each ending with its newline but the last: joined, they are
 * strict.decode(bytes) (a newline byte never falls inside a character; only the first piece may begin
 * with the BOM that decoding drops). Throws on invalid UTF-8, as strict.decode does.
 */
function decodePieces(bytes: Uint8Array): string[] {
  const pieces: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    let end = bytes.length;
    if (end - at > PIECE_BYTES) {
      const nl = bytes.lastIndexOf(10, at + PIECE_BYTES);
      end = nl >= at ? nl + 1 : bytes.indexOf(10, at + PIECE_BYTES) + 1 || bytes.length;
    }
    pieces.push((at === 0 ? strict : strictMid).decode(bytes.subarray(at, end)));
    at = end;
  }
  return pieces;
}

function splitLines(pieces: string[]): string[] {
  let lines: string[] = [];
  for (let p = 0; p < pieces.length; p++) {
    const part = pieces[p].split('\n');
    // Every piece but the last ends with a newline, which ends its last line rather than starting one.
    if (p < pieces.length - 1) part.pop();
    lines = lines.length ? lines.concat(part) : part;
  }
  if (lines.length === 0) lines.push('');
  // A final newline ends the last line; it does not start an empty one.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  return lines;
}

// Slow path, only for bodies with bad bytes: decode line by line so one bad line spoils nothing else.
function splitInvalid(bytes: Uint8Array): Batch {
  const lines: string[] = [];
  const problems: (string[] | undefined)[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 10) continue;
    if (i === bytes.length && start === i && lines.length > 0) break;
    const chunk = bytes.subarray(start, i);
    let text: string;
    try {
      text = strict.decode(chunk);
    } catch {
      text = lenient.decode(chunk);
      problems[lines.length] = ['invalid_utf8'];
    }
    lines.push(text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text);
    start = i + 1;
  }
  return { lines, problems };
}

export function parseEnvelope(text: string): Batch {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new BadRequestError('envelope is not valid JSON');
  }
  const e = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || !Array.isArray(e.lines)) {
    throw new BadRequestError('envelope must be an object with a "lines" array');
  }
  if (!e.lines.every((l) => typeof l === 'string'))
    throw new BadRequestError('envelope "lines" must be strings');
  if (e.lines.length === 0) throw new BadRequestError('envelope has no lines');
  const b: Batch = { lines: e.lines as string[] };
  if (e.labels !== undefined) {
    const ok = Array.isArray(e.labels) && e.labels.every((l) => l === null || typeof l === 'string');
    if (!ok || (e.labels as unknown[]).length !== e.lines.length) {
      throw new BadRequestError('envelope "labels" must be (string|null)[] as long as "lines"');
    }
    b.labels = e.labels as (string | null)[];
  }
  if (e.source !== undefined) {
    if (typeof e.source !== 'string') throw new BadRequestError('envelope "source" must be a string');
    b.source = e.source;
  }
  if (e.format !== undefined) {
    if (typeof e.format !== 'string') throw new BadRequestError('envelope "format" must be a string');
    b.format = e.format;
  }
  if (e.meta !== undefined) {
    if (!Array.isArray(e.meta) || e.meta.length !== e.lines.length || !e.meta.every(isLineMeta))
      throw new BadRequestError(
        'envelope "meta" must be (object|null)[] as long as "lines" (core/line-meta.ts)',
      );
    b.meta = e.meta as (LineMeta | null)[];
  }
  return b;
}

function isLineMeta(m: unknown): boolean {
  if (m === null) return true;
  if (typeof m !== 'object' || Array.isArray(m)) return false;
  const o = m as Record<string, unknown>;
  const optional = (k: string, t: string) => o[k] === undefined || typeof o[k] === t;
  if (!optional('ts', 'number') || !optional('level', 'string')) return false;
  if (!optional('service', 'string') || !optional('host', 'string')) return false;
  if (o.fields === undefined) return true;
  if (typeof o.fields !== 'object' || o.fields === null || Array.isArray(o.fields)) return false;
  return Object.values(o.fields).every(
    (v) => v === null || ['string', 'number', 'boolean'].includes(typeof v),
  );
}

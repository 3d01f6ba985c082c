// Request body -> lines. Plain text is split on LF (a CR before it is dropped); bytes that are not
// valid UTF-8 are decoded with U+FFFD per line and that line alone is flagged `invalid_utf8`.
// The envelope (`application/vnd.logfaas.batch+json`) carries lines, labels, source, format and meta.
import { BadRequestError } from '../../core/errors.js';
import type { LineMeta } from '../../core/line-meta.js';
import { utf8Lines } from '../../core/utf8-text.js';

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
    // Decoded in pieces of whole lines (core/utf8-text.ts): no string of the whole body.
    return { lines: splitLines([...utf8Lines(bytes, { fatal: true })]) };
  } catch {
    return splitInvalid(bytes);
  }
}

function splitLines(lines: string[]): string[] {
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

// What a search asks and how one chunk answers it (pure). Hits come newest first: chunks newest
// written first, lines of a chunk last to first. The cursor names the chunk and line to go on before.
import { type ChunkMeta, type KeptLine, lineAt, rawOffset } from './chunk.js';

export interface SearchQuery {
  /** Text the raw line contains, case-insensitive; absent = every line the filters let through. */
  q?: string;
  source?: string;
  levels?: string[];
  template?: string;
  /** Event time span, epoch ms, inclusive. */
  from?: number;
  to?: number;
  limit: number;
}

export interface Cursor {
  /** Chunk id, its written time (to go on if it was dropped), and the offset of the last line returned. */
  c: string;
  w: number;
  o: number;
}

export interface Hit extends KeptLine {
  source: string;
}

/** A hit as the search function answers it (docs/search.md): the event time as ISO text. */
export interface ShownHit extends Omit<Hit, 'ts'> {
  ts: string;
  /** Context lines only: one of the incident's own lines. */
  anomalous?: boolean;
}

export const shownHit = <T extends Hit>(h: T): Omit<T, 'ts'> & { ts: string } => ({
  ...h,
  ts: new Date(h.ts).toISOString(),
});

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(s: string): Cursor | undefined {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Cursor;
    if (typeof c?.c === 'string' && Number.isFinite(c.w) && Number.isInteger(c.o) && c.o >= 0) return c;
  } catch {}
  return undefined;
}

/** Whether a chunk can hold a hit, from its meta alone. */
export function chunkMayMatch(m: ChunkMeta, q: SearchQuery): boolean {
  if (q.source !== undefined && m.s !== q.source) return false;
  if (q.from !== undefined && m.b < q.from) return false;
  if (q.to !== undefined && m.a > q.to) return false;
  if (q.levels && !q.levels.some((l) => m.l.includes(l))) return false;
  if (q.template !== undefined && m.t && !m.t.includes(q.template)) return false;
  return true;
}

function lineMatches(l: KeptLine, q: SearchQuery): boolean {
  if (q.from !== undefined && l.ts < q.from) return false;
  if (q.to !== undefined && l.ts > q.to) return false;
  if (q.levels && !q.levels.includes(l.level)) return false;
  if (q.template !== undefined && l.templateId !== q.template) return false;
  return true;
}

/** The text search as run over a blob: the needle escaped as the blob stores it, case-insensitive. */
export function needleOf(q: string): RegExp {
  const escaped = q.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
  return new RegExp(escaped.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
}

/**
 * The hits of one chunk, newest (last) first, among lines starting before `before` (a line offset;
 * Infinity = all), at most `max`; each with its line's start offset for the cursor.
 */
export function scanChunk(
  blob: string,
  meta: ChunkMeta,
  q: SearchQuery,
  o: { needle?: RegExp; before: number; max: number },
): { hit: Hit; start: number }[] {
  const found: { hit: Hit; start: number }[] = [];
  const take = (start: number) => {
    if (start >= o.before) return;
    const r = lineAt(blob, start);
    if (r && lineMatches(r.line, q)) found.push({ hit: { source: meta.s, ...r.line }, start });
  };
  if (o.needle) {
    // Only the lines the needle hits are decoded; a hit in the ts/level/template columns is not one.
    const re = o.needle;
    re.lastIndex = 0;
    for (let m = re.exec(blob); m; m = re.exec(blob)) {
      const start = blob.lastIndexOf('\n', m.index) + 1;
      if (start >= o.before) break;
      let end = blob.indexOf('\n', m.index);
      if (end < 0) end = blob.length;
      if (m.index >= rawOffset(blob, start)) take(start);
      else {
        // The hit was in a column: look again from the raw text of this line on.
        re.lastIndex = rawOffset(blob, start);
        const again = re.exec(blob);
        if (again && again.index < end) take(start);
      }
      re.lastIndex = end + 1;
    }
  } else {
    let start = 0;
    while (start < blob.length && start < o.before) {
      let end = blob.indexOf('\n', start);
      if (end < 0) end = blob.length;
      take(start);
      start = end + 1;
    }
  }
  found.reverse();
  return found.length > o.max ? found.slice(0, o.max) : found;
}

// Where a request's records start (core/multiline.ts), so batches are cut between records, and how many
// lines at its end form an open record to hold back until the source's next request. Pure.
import { MultilineGrouper, type MultilineLimits, mayGroup } from '../../core/multiline.js';
import { utf8Lines } from '../../core/utf8-text.js';

export interface RecordPlan {
  /** 1 where a record starts, per line; undefined when every line is a record of its own. */
  starts?: Uint8Array;
  /** Lines at the end that form an open record which may go on in the next request (0: none). */
  held: number;
}

export function planRecords(
  lines: readonly string[],
  limits: MultilineLimits,
  holdBack: boolean,
): RecordPlan {
  if (!mayGroup(lines)) return { held: 0 };
  const starts = new Uint8Array(lines.length);
  const g = new MultilineGrouper(limits);
  for (const l of lines) for (const r of g.push(l)) starts[r.first] = 1;
  const open = g.pending();
  if (holdBack && open && g.mayContinue()) {
    starts[open.first] = 1;
    return { starts, held: lines.length - open.first };
  }
  for (const r of g.end()) starts[r.first] = 1;
  return { starts, held: 0 };
}

/**
 * A body's lines as text (LF-split, no `\r`, a final newline adds none), for classification only; decoded
 * a piece at a time (core/utf8-text.ts).
 */
export function bodyLines(body: Uint8Array): string[] {
  const lines = [...utf8Lines(body)];
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Byte offset where line `index` starts (LF-separated), or `body.length` past the end. */
export function lineOffset(body: Uint8Array, index: number): number {
  let pos = 0;
  for (let i = 0; i < index; i++) {
    const nl = body.indexOf(10, pos);
    if (nl === -1) return body.length;
    pos = nl + 1;
  }
  return pos;
}

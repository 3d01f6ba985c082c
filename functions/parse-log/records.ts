// A batch's lines grouped into records (core/multiline.ts): each multi-line record becomes one entry,
// its lines joined by `\n`, which parseBatch makes one event with a `stack`. Pure.
import { groupLines, MULTILINE_TRUNCATED, type MultilineLimits } from '../../core/multiline.js';
import type { Batch } from './body.js';

/** The batch with one entry per record; labels and decoding problems follow the record's lines. */
export function groupBatch(batch: Batch, limits: MultilineLimits): Batch {
  const records = groupLines(batch.lines, limits);
  if (records.length === batch.lines.length && !records.some((r) => r.cut)) return batch;
  const lines = new Array<string>(records.length);
  const labels = batch.labels ? new Array<string | null>(records.length) : undefined;
  const problems: (string[] | undefined)[] = [];
  for (let k = 0; k < records.length; k++) {
    const r = records[k];
    const n = r.lines.length;
    lines[k] = n === 1 ? r.lines[0] : r.lines.join('\n');
    // A record's label is the first one among its lines (simulated lines are one per record anyway).
    if (labels) {
      let label: string | null = null;
      for (let i = r.first; i < r.first + n && label === null; i++) label = batch.labels![i] ?? null;
      labels[k] = label;
    }
    let p: string[] | undefined;
    for (let i = r.first; i < r.first + n; i++) {
      for (const x of batch.problems?.[i] ?? []) if (!(p ??= []).includes(x)) p.push(x);
    }
    if (r.cut) (p ??= []).push(MULTILINE_TRUNCATED);
    if (p) problems[k] = p;
  }
  const out: Batch = { ...batch, lines, labels, problems };
  if (!labels) delete out.labels;
  return out;
}

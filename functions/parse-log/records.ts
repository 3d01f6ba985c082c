// A batch's lines grouped into records (core/multiline.ts): each multi-line record becomes one entry,
// its lines joined by `\n`, which parseBatch makes one event with a `stack`. Pure.
import {
  type LineRecord,
  MULTILINE_TRUNCATED,
  MultilineGrouper,
  type MultilineLimits,
  mayGroup,
} from '../../core/multiline.js';
import type { Batch } from './body.js';

export interface RecordBatch extends Batch {
  /** Per entry, the 0-based number of its first line in the whole input. */
  firstLines: number[];
}

/**
 * Groups lines into records across consecutive batches of one input (the CLI's read chunks): a record
 * still open at the end of a batch comes out with the next batch, or with `end()`. Labels and
 * decoding problems follow the record's lines.
 */
export class RecordBatcher {
  private readonly grouper: MultilineGrouper;
  /** Problems and labels of lines pushed but not yet part of an emitted record, by line number. */
  private readonly problems = new Map<number, string[]>();
  private readonly labels = new Map<number, string>();
  private offset = 0;

  constructor(limits: MultilineLimits) {
    this.grouper = new MultilineGrouper(limits);
  }

  push(batch: Batch): RecordBatch {
    const out = emptyBatch(batch.labels !== undefined);
    const { lines } = batch;
    for (let i = 0; i < lines.length; i++) {
      const n = this.offset + i;
      const p = batch.problems?.[i];
      if (p?.length) this.problems.set(n, p);
      const label = batch.labels?.[i];
      if (typeof label === 'string') this.labels.set(n, label);
      for (const r of this.grouper.push(lines[i])) this.emit(r, out);
    }
    this.offset += lines.length;
    return out;
  }

  /** End of input: the open record, if any. */
  end(withLabels = false): RecordBatch {
    const out = emptyBatch(withLabels);
    for (const r of this.grouper.end()) this.emit(r, out);
    return out;
  }

  private emit(r: LineRecord, out: RecordBatch): void {
    const n = r.lines.length;
    out.lines.push(n === 1 ? r.lines[0] : r.lines.join('\n'));
    out.firstLines.push(r.first);
    let problems: string[] | undefined;
    let label: string | null = null;
    for (let i = r.first; i < r.first + n; i++) {
      for (const x of this.problems.get(i) ?? []) if (!(problems ??= []).includes(x)) problems.push(x);
      this.problems.delete(i);
      // A record's label is the first one among its lines (simulated lines are one per record anyway).
      label ??= this.labels.get(i) ?? null;
      this.labels.delete(i);
    }
    if (r.cut) (problems ??= []).push(MULTILINE_TRUNCATED);
    out.problems![out.lines.length - 1] = problems;
    out.labels?.push(label);
  }
}

function emptyBatch(withLabels: boolean): RecordBatch {
  const b: RecordBatch = { lines: [], problems: [], firstLines: [] };
  if (withLabels) b.labels = [];
  return b;
}

/** One complete batch grouped into records (parse-log's requests); the batch itself when nothing groups. */
export function groupBatch(batch: Batch, limits: MultilineLimits): Batch {
  if (!mayGroup(batch.lines)) return batch;
  const b = new RecordBatcher(limits);
  const out = b.push(batch);
  const rest = b.end(batch.labels !== undefined);
  out.lines.push(...rest.lines);
  out.problems!.push(...rest.problems!);
  out.labels?.push(...rest.labels!);
  return { ...batch, lines: out.lines, labels: out.labels, problems: out.problems };
}

// Groups simulated lines by source into bounded batches, lazily, so a large simulation never sits in
// memory: at most one open batch per source.
import type { SimLine } from './simulate/index.js';

export interface SimBatch {
  source: string;
  lines: string[];
  labels: (string | null)[];
  /** Simulated time of the batch's last line (real-time pacing releases the batch then). */
  lastTs: number;
}

/** The envelope content type parse-log reads `{ lines, labels, source }` from. */
export const BATCH_JSON = 'application/vnd.logfaas.batch+json';

export function* simulationBatches(
  lines: Iterable<SimLine>,
  maxLines: number,
  maxBytes: number,
): Generator<SimBatch> {
  const open = new Map<string, { batch: SimBatch; bytes: number }>();
  for (const l of lines) {
    let o = open.get(l.source);
    // JSON escaping and the label add a little; 32 bytes per line covers both for simulated lines.
    const size = l.line.length + 32;
    if (o && (o.batch.lines.length >= maxLines || o.bytes + size > maxBytes)) {
      yield o.batch;
      o = undefined;
    }
    if (!o) {
      o = { batch: { source: l.source, lines: [], labels: [], lastTs: l.ts }, bytes: 64 };
      open.set(l.source, o);
    }
    o.batch.lines.push(l.line);
    o.batch.labels.push(l.label);
    o.batch.lastTs = l.ts;
    o.bytes += size;
  }
  for (const o of open.values()) if (o.batch.lines.length > 0) yield o.batch;
}

export function encodeSimBatch(b: SimBatch): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ lines: b.lines, labels: b.labels, source: b.source }));
}

// Structured records (OTLP logs, Loki push) in: grouped by source into batch envelopes whose lines
// carry per-line meta (core/line-meta.ts), published with confirms like raw lines. Pure but for
// publishRecords, which is the one I/O step.
import { createHash } from 'node:crypto';
import { H } from '../../core/headers.js';
import type { LineMeta, MetaValue } from '../../core/line-meta.js';
import type { AttributeLimits } from './config.js';
import type { ProducerContext } from './handler.js';
import { type OutBatch, publishAll } from './publish.js';
import { BATCH_JSON } from './sim-batches.js';

export interface InRecord {
  source: string;
  /** The log line (OTLP body, Loki line); parse-log reads it as any line. */
  line: string;
  meta: LineMeta;
}

export interface RecordsOutcome {
  accepted: number;
  failed: number;
  batches: number;
  error?: unknown;
}

/** Records refused in a request: counted, with the first few distinct reasons for the answer. */
export interface Refusals {
  rejected: number;
  reasons: string[];
}

/** Counts `n` refused records and keeps `why` among the first 3 distinct reasons (none when n is 0). */
export function refuse(out: Refusals, n: number, ...why: string[]): void {
  if (n <= 0) return;
  out.rejected += n;
  for (const w of why) if (out.reasons.length < 3 && !out.reasons.includes(w)) out.reasons.push(w);
}

const SOURCE_CHAR = /[^A-Za-z0-9._:-]/g;

/** A protocol's service or job name as a source the text endpoint would accept (`my svc` -> `my_svc`). */
export function sourceName(name: string | undefined): string {
  const s = (name ?? '')
    .replace(SOURCE_CHAR, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return s === '' ? 'default' : s;
}

/**
 * Checks a record's attributes (or labels) against the limits: undefined when they fit, else the
 * reason the record is refused. Sizes are UTF-8 bytes.
 */
export function attributeProblem(
  fields: Record<string, MetaValue>,
  limits: AttributeLimits,
): string | undefined {
  let n = 0;
  for (const k in fields) {
    if (++n > limits.maxAttributes) return `more than ${limits.maxAttributes} attributes (MAX_ATTRIBUTES)`;
    if (Buffer.byteLength(k) > limits.maxNameBytes)
      return `attribute name over ${limits.maxNameBytes} bytes (MAX_ATTRIBUTE_NAME_BYTES): ${k.slice(0, 40)}...`;
    const v = fields[k];
    if (typeof v === 'string' && Buffer.byteLength(v) > limits.maxValueBytes)
      return `attribute ${JSON.stringify(k.slice(0, 64))} value over ${limits.maxValueBytes} bytes (MAX_ATTRIBUTE_VALUE_BYTES)`;
  }
  return undefined;
}

/**
 * The idempotency key of a protocol request: neither OTLP nor Loki push carries a retry identity,
 * but their clients retry by sending the same body again, so the key is the decoded body's hash.
 */
export function contentKey(protocol: string, body: Uint8Array): string {
  return `${protocol}-${createHash('sha256').update(body).digest('hex').slice(0, 32)}`;
}

interface OpenBatch {
  source: string;
  lines: string[];
  meta: string[];
  bytes: number;
}

/**
 * Records grouped by source (in order of first appearance, records in input order) into envelopes
 * of at most `maxLines` lines and about `maxBytes` bytes; a record larger than that travels alone.
 */
export function recordBatches(records: readonly InRecord[], maxLines: number, maxBytes: number): OpenBatch[] {
  const out: OpenBatch[] = [];
  const open = new Map<string, OpenBatch>();
  for (const r of records) {
    // A line past a whole batch is cut there: parse-log keeps at most MAX_LINE_BYTES (64 KiB) of it
    // and flags it `truncated` either way, and a message past parse-log's body limit would be refused.
    const line = JSON.stringify(r.line.length > maxBytes ? r.line.slice(0, maxBytes) : r.line);
    const meta = JSON.stringify(r.meta);
    const size = line.length + meta.length + 2;
    let b = open.get(r.source);
    if (b && (b.lines.length >= maxLines || b.bytes + size > maxBytes)) b = undefined;
    if (!b) {
      b = { source: r.source, lines: [], meta: [], bytes: 64 };
      open.set(r.source, b);
      out.push(b);
    }
    b.lines.push(line);
    b.meta.push(meta);
    b.bytes += size;
  }
  return out;
}

/** The envelope parse-log reads (docs/parse-log.md): lines and meta already JSON-encoded. */
export function encodeRecordBatch(b: OpenBatch): Uint8Array {
  return Buffer.from(
    `{"source":${JSON.stringify(b.source)},"lines":[${b.lines.join(',')}],"meta":[${b.meta.join(',')}]}`,
  );
}

/** Publishes the records as batches `${key}:${index}`; the outcome says how many were confirmed. */
export async function publishRecords(
  records: readonly InRecord[],
  key: string,
  signal: AbortSignal,
  ctx: ProducerContext,
): Promise<RecordsOutcome> {
  const cfg = ctx.config;
  const batches: OutBatch[] = recordBatches(records, cfg.batchLines, cfg.batchBytes).map((b, i) => ({
    id: `${key}:${i}`,
    lines: b.lines.length,
    body: encodeRecordBatch(b),
    headers: { [H.batchId]: `${key}:${i}`, [H.source]: b.source },
    contentType: BATCH_JSON,
  }));
  if (batches.length === 0) return { accepted: 0, failed: 0, batches: 0 };
  const out = await publishAll(ctx.broker, cfg.topic, batches, {
    concurrency: cfg.publishConcurrency,
    signal,
  });
  return {
    accepted: out.confirmedLines,
    failed: records.length - out.confirmedLines,
    batches: out.confirmedBatches,
    ...(out.error !== undefined ? { error: out.error } : {}),
  };
}

// Publishes batches with a bounded number of unconfirmed messages and reports exactly which were
// confirmed. The first failure stops new publishes; batches already in flight are still awaited.
import type { Broker } from '../../core/broker/types.js';
import { H } from '../../core/headers.js';
import type { Coalescer } from './coalesce.js';

export interface OutBatch {
  id: string;
  lines: number;
  body: Uint8Array;
  headers: Record<string, string>;
  contentType: string;
}

export interface PublishOutcome {
  confirmedLines: number;
  confirmedBatches: number;
  /** Ids of confirmed batches, in publish order (not confirm order). */
  confirmedIds: string[];
  /** Lines of batches that were pulled from the source but not confirmed. */
  unconfirmedLines: number;
  error?: unknown;
}

export async function publishAll(
  broker: Broker,
  topic: string,
  batches: Iterable<OutBatch>,
  opts: {
    concurrency: number;
    signal?: AbortSignal;
    /** Awaited before each publish (real-time pacing). */
    beforePublish?: (b: OutBatch) => Promise<void>;
    onConfirmed?: (b: OutBatch) => void;
  },
): Promise<PublishOutcome> {
  const it = batches[Symbol.iterator]();
  const confirmed: (string | undefined)[] = [];
  const out: PublishOutcome = {
    confirmedLines: 0,
    confirmedBatches: 0,
    confirmedIds: [],
    unconfirmedLines: 0,
  };
  let stop = false;
  let index = 0;

  const worker = async () => {
    while (!stop) {
      if (opts.signal?.aborted) {
        stop = true;
        out.error ??= new Error('request aborted before all batches were published');
        return;
      }
      const r = it.next();
      if (r.done) return;
      const b = r.value;
      const slot = index++;
      try {
        if (opts.beforePublish) await opts.beforePublish(b);
        if (opts.signal?.aborted) throw new Error('request aborted before all batches were published');
        await broker.publish(topic, b.body, {
          messageId: b.id,
          headers: b.headers,
          contentType: b.contentType,
        });
        out.confirmedLines += b.lines;
        out.confirmedBatches++;
        confirmed[slot] = b.id;
        opts.onConfirmed?.(b);
      } catch (e) {
        stop = true;
        out.error ??= e;
        out.unconfirmedLines += b.lines;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  out.confirmedIds = confirmed.filter((x): x is string => x !== undefined);
  return out;
}

/**
 * publishAll, with the batches `share` picks handed to the coalescer instead (coalesce.ts): those count as
 * confirmed with the message that carried them, whose id they report (once, when several of the request's
 * batches shared it).
 */
export async function publishSharing(
  broker: Broker,
  topic: string,
  batches: readonly OutBatch[],
  opts: {
    concurrency: number;
    signal?: AbortSignal;
    coalescer: Coalescer;
    share: (b: OutBatch) => boolean;
  },
): Promise<PublishOutcome> {
  const shared = batches.filter(opts.share);
  if (shared.length === 0) return publishAll(broker, topic, batches, opts);
  const alone = batches.filter((b) => !shared.includes(b));
  const [own, sharedOut] = await Promise.all([
    publishAll(broker, topic, alone, opts),
    Promise.allSettled(shared.map((b) => opts.coalescer.publish(b))),
  ]);
  const out: PublishOutcome = { ...own, confirmedIds: [] };
  const ownIds = new Set(own.confirmedIds);
  const carried = new Map<OutBatch, string>();
  shared.forEach((b, i) => {
    const r = sharedOut[i];
    if (r.status === 'fulfilled') {
      carried.set(b, r.value);
      out.confirmedLines += b.lines;
    } else {
      out.error ??= r.reason;
      out.unconfirmedLines += b.lines;
    }
  });
  const ids = new Set<string>();
  for (const b of batches) {
    const id = carried.get(b) ?? (ownIds.has(b.id) ? b.id : undefined);
    if (id !== undefined) ids.add(id);
  }
  out.confirmedIds = [...ids];
  out.confirmedBatches = ids.size;
  return out;
}

/** Headers of a raw-text batch: its id, source, and the request's format and multi-line switch if given. */
export function textBatchHeaders(
  id: string,
  source: string,
  format: string | null,
  multiline: boolean | null,
): Record<string, string> {
  const headers: Record<string, string> = { [H.batchId]: id, [H.source]: source };
  if (format) headers[H.logFormat] = format;
  if (multiline !== null) headers[H.multiline] = multiline ? 'on' : 'off';
  return headers;
}

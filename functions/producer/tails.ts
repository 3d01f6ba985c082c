// Held-back tails: the open multi-line record at the end of a request (a trace that may go on in the
// source's next request), kept in the KV so any producer replica can prepend it to that request or,
// after a quiet period, publish it alone. The only I/O of multi-line grouping in the producer.
import { acquireLock, type HeldLock } from '../../core/kv/lock.js';
import { slotTag } from '../../core/kv/slots.js';
import type { KV, WriteOp } from '../../core/kv/types.js';

export interface HeldTail {
  /** The record's lines (and any blank lines after it). */
  lines: string[];
  /** Batch id it is published under when flushed alone: `{request key}:tail`. */
  id: string;
  /** Idempotency key (or id) of the request that held it: a retry of that request does not prepend it. */
  key: string;
  format: string | null;
  /** The request's own multi-line switch, forwarded with the lines. */
  multiline: boolean | null;
  /** Epoch ms after which a sweep publishes it if no request took it. */
  due: number;
}

const tailKey = (source: string) => `producer:tail:${slotTag(source)}`;
const lockKey = (source: string) => `producer:tail-lock:${slotTag(source)}`;
/**
 * Index of tails by the minute they fall due, so a sweep reads a few hashes instead of scanning keys. Tagged
 * by hour: a sweep's hour of minutes is two cluster slots, not 61.
 */
const dueKey = (minute: number) =>
  `producer:tail-due:${slotTag(`tails-h${Math.floor(minute / 60)}`)}:${minute}`;
const MINUTE = 60_000;
// 1 hour: a tail (and its index entry) outlives any outage a sweep would catch up with; a tail older
// than that is dropped rather than published out of order with what came since.
const KEEP_MS = 60 * MINUTE;
/** Minutes of index a sweep reads behind the current one. */
const LOOKBACK_MINUTES = 60;
// 2 min: longer than a request may run (the producer's exec_timeout is 60 s in stack.yml), so the lock
// only expires when its holder died; a held tail then waits that long at most.
const LOCK_TTL_MS = 120_000;

export class TailStore {
  constructor(private readonly kv: KV) {}

  async get(source: string): Promise<HeldTail | null> {
    const v = await this.kv.get(tailKey(source));
    if (v === null) return null;
    try {
      return JSON.parse(v) as HeldTail;
    } catch {
      return null;
    }
  }

  /** The source's lock: requests and sweeps that take or replace its tail hold it. */
  lock(source: string, waitMs: number): Promise<HeldLock | undefined> {
    return acquireLock(this.kv, lockKey(source), { ttlMs: LOCK_TTL_MS, waitMs });
  }

  /** Stores `tail` as the source's tail, or removes the tail when null. */
  async put(source: string, tail: HeldTail | null): Promise<void> {
    const ops: WriteOp[] = [];
    if (tail === null) ops.push({ op: 'del', key: tailKey(source) });
    else {
      const minute = Math.floor(tail.due / MINUTE);
      ops.push(
        { op: 'set', key: tailKey(source), value: JSON.stringify(tail), ttlMs: KEEP_MS },
        { op: 'hset', key: dueKey(minute), fields: { [source]: String(tail.due) } },
        { op: 'expire', key: dueKey(minute), ttlMs: KEEP_MS + 2 * MINUTE },
      );
    }
    await this.kv.apply(ops);
  }

  /** Sources whose indexed tail fell due at or before `now` (stale entries included: check the tail). */
  async due(now: number): Promise<{ source: string; due: number }[]> {
    const last = Math.floor(now / MINUTE);
    const minutes = Array.from({ length: LOOKBACK_MINUTES + 1 }, (_, i) => last - LOOKBACK_MINUTES + i);
    const hashes = await this.kv.hgetallMany(minutes.map(dueKey));
    const out: { source: string; due: number }[] = [];
    for (const h of hashes) {
      for (const [source, v] of Object.entries(h)) {
        const due = Number(v);
        if (due <= now) out.push({ source, due });
      }
    }
    return out;
  }
}

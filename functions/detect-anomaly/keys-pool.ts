// EventKeys objects reused from batch to batch. A batch's keys live from its decode until its writes are
// built, and a young-generation collection in that time copied every one of them: they were a fifth of
// what survived those collections in a pipeline run (docs/capacity.md). Kept ones live in the old
// generation and are only overwritten.
import type { endpointOf } from '../../core/endpoint.js';
import type { LogEvent } from '../../core/event.js';
import { type EventKeys, keysOf } from './event-keys.js';

/** Keys kept at most: a batch's worth (the producer's BATCH_LINES is 6,000) and then some. */
export const KEYS_KEPT = 12_000;

export class KeysPool {
  private readonly kept: EventKeys[] = [];

  constructor(private readonly max = KEYS_KEPT) {}

  /**
   * Each event's keys (keysOf), in kept objects where there are some. They stay the caller's only until
   * its next call: the caller uses them without waiting in between, and none outlives that use.
   */
  keys(
    events: readonly LogEvent[],
    times: readonly number[],
    windowMs: number,
    now: number,
    endpoints: typeof endpointOf,
  ): EventKeys[] {
    const out = new Array<EventKeys>(events.length);
    for (let i = 0; i < events.length; i++) {
      const k = keysOf(events[i], windowMs, now, times[i], endpoints, this.kept[i]);
      if (i === this.kept.length && i < this.max) this.kept.push(k);
      out[i] = k;
    }
    return out;
  }
}

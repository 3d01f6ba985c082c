// Operator mutes as this replica sees them: the list in the KV (core/mutes), polled at most every
// MUTE_REFRESH_MS through its revision, so every replica applies a change within seconds without a KV
// read per event or per batch. Events of a muted template are still counted; they are never anomalies.
import type { AnomalyResult } from '../../core/event.js';
import type { KV } from '../../core/kv/types.js';
import type { Logger } from '../../core/log.js';
import { decodeMutes, type Mute, type MuteSet, muteSet } from '../../core/mutes/mute.js';
import { MUTE_KEYS } from '../../core/mutes/store.js';

/** 2 s: an operator's mute takes hold within seconds; one short GET per replica per 2 s costs nothing. */
export const MUTE_REFRESH_MS = 2000;

export interface MuteCache {
  /** The active mutes at `now`, re-checked in the KV when the last check is older than the refresh. */
  current(now: number): Promise<MuteSet>;
}

export function createMuteCache(kv: KV, o: { logger: Logger; refreshMs?: number }): MuteCache {
  const refreshMs = o.refreshMs ?? MUTE_REFRESH_MS;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let rev: string | null | undefined;
  let list: Mute[] = [];
  let set: MuteSet | undefined;
  let pending: Promise<MuteSet> | undefined;

  async function refresh(now: number): Promise<MuteSet> {
    try {
      const r = await kv.get(MUTE_KEYS.rev);
      if (r !== rev || set === undefined) {
        list = decodeMutes(await kv.get(MUTE_KEYS.list));
        rev = r;
      }
      checkedAt = now;
      // Rebuilt at each check, so a mute's end takes hold within one refresh too.
      set = muteSet(list, now);
      return set;
    } catch (e) {
      // Never loaded: the batch fails and is retried. Loaded before: keep the last list, try again next batch.
      if (!set) throw e;
      o.logger.warn('mutes: cannot re-read the list; keeping the last one', { err: String(e) });
      return set;
    }
  }

  return {
    current(now) {
      if (set && now - checkedAt < refreshMs) return Promise.resolve(set);
      pending ??= refresh(now).finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}

/** The anomalies that are not of a muted (source, template). */
export function unmuted(anomalies: AnomalyResult[], muted: MuteSet): AnomalyResult[] {
  if (muted.size === 0) return anomalies;
  return anomalies.filter((a) => !muted.has(a.event.source, a.event.templateId));
}

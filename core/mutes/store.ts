// The mutes in the KV: one JSON document and a revision counter beside it, so a replica polls one short
// string and re-reads the list only when it changed. Writers take a lock (read, change, write back).
import { acquireLock } from '../kv/lock.js';
import type { KV } from '../kv/types.js';
import {
  decodeMutes,
  encodeMutes,
  isActive,
  type Mute,
  type MuteRequest,
  muteFrom,
  withMute,
  withoutMute,
} from './mute.js';

export const MUTE_KEYS = {
  /** String: `{"mutes":[...]}`, newest first, at most MUTE_LIMITS.maxMutes; expired ones pruned on write. */
  list: 'detect:mutes',
  /** String: a revision, bumped in the same apply as every change of the list. */
  rev: 'detect:mutes:rev',
  /** Writers' lock (SET NX PX), so two operators muting at once cannot lose one of the two. */
  lock: 'detect:mutes:lock',
} as const;

/** A held lock outlives any read-change-write by far; waiting 2 s covers a burst of clicks. */
const LOCK_TTL_MS = 5000;
const LOCK_WAIT_MS = 2000;

export class MutesBusyError extends Error {}
export class MutesFullError extends Error {}

/** Active mutes at `now`, newest first. */
export async function listMutes(kv: KV, now: number): Promise<Mute[]> {
  return decodeMutes(await kv.get(MUTE_KEYS.list)).filter((m) => isActive(m, now));
}

/** Sets (or replaces) a mute. Throws MutesFullError past the cap, MutesBusyError if the lock stays taken. */
export async function addMute(
  kv: KV,
  req: MuteRequest,
  o: { now: number; defaultBy?: string },
): Promise<{ mute: Mute; replaced: boolean }> {
  return locked(kv, async (list) => {
    const mute = muteFrom(req, o.now, o.defaultBy);
    const replaced = list.some(
      (m) => isActive(m, o.now) && m.source === req.source && m.templateId === req.templateId,
    );
    const next = withMute(list, mute, o.now);
    if (next.full) throw new MutesFullError(`too many mutes (${next.list.length}); unmute some first`);
    return { list: next.list, result: { mute, replaced } };
  });
}

/** Removes a mute; false when the pair was not muted (nothing is written then). */
export async function removeMute(kv: KV, source: string, templateId: string, now: number): Promise<boolean> {
  return locked(kv, async (list) => {
    const next = withoutMute(list, source, templateId, now);
    return { list: next.removed ? next.list : undefined, result: next.removed };
  });
}

async function locked<T>(
  kv: KV,
  change: (list: Mute[]) => Promise<{ list: Mute[] | undefined; result: T }>,
): Promise<T> {
  const lock = await acquireLock(kv, MUTE_KEYS.lock, { ttlMs: LOCK_TTL_MS, waitMs: LOCK_WAIT_MS });
  if (!lock) throw new MutesBusyError('the mute list is being changed by someone else; try again');
  try {
    const { list, result } = await change(decodeMutes(await kv.get(MUTE_KEYS.list)));
    if (list)
      await kv.apply([
        // The revision first: on a Redis Cluster the two keys are in different slots and the first op's
        // slot is applied last (docs/stores.md), so a replica that sees the new revision reads the new list.
        // A random revision, not a counter: `set` is the only string write, and any change must differ.
        {
          op: 'set',
          key: MUTE_KEYS.rev,
          value: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`,
        },
        { op: 'set', key: MUTE_KEYS.list, value: encodeMutes(list) },
      ]);
    return result;
  } finally {
    await lock.release();
  }
}

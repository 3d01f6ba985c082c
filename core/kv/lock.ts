// A lock that replicas share through the KV: SET NX PX under a random token, released only by its holder
// (compare-and-delete), so a holder that outlived the expiry cannot free the next holder's lock.
import type { KV } from './types.js';

export interface HeldLock {
  /** Releases the lock if this holder still has it; never throws (the expiry frees it otherwise). */
  release(): Promise<void>;
}

/**
 * Takes `key` for `ttlMs`, retrying with backoff (1 ms doubling to 50 ms) for up to `waitMs` (0: one
 * try). Undefined when someone else holds it; a KV error propagates.
 */
export async function acquireLock(
  kv: KV,
  key: string,
  o: { ttlMs: number; waitMs?: number },
): Promise<HeldLock | undefined> {
  const token = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const until = Date.now() + (o.waitMs ?? 0);
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    if (await kv.setIfAbsent(key, token, o.ttlMs)) {
      return {
        release: () =>
          kv.delIfEquals(key, token).then(
            () => undefined,
            () => undefined,
          ),
      };
    }
    if (Date.now() + wait > until) return undefined;
    await new Promise((r) => setTimeout(r, wait));
  }
}

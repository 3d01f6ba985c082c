// Which templates' set-once fields (`|f` first seen, `|i` source and text, both written with NX) one
// detect-anomaly replica has written to an hour's template hash lately. Once there, sending them again with
// every batch changes nothing but costs the apply two writes per template and the text's bytes (~180 of a
// 2,000-line batch's ~1,060 writes), so statsWrites leaves them out while they are fresh. They are sent
// again after REFRESH_MS all the same: a template hash deleted within the hour has them back within a minute.
// Last seen (`|l`, a value overwritten with every batch) is sent at most once per LAST_SEEN_STEP_MS by a
// replica, so the stored one is at most that much older than the true last batch.
import type { WriteOp } from '../kv/types.js';
import { MINUTE_MS, TEMPLATE_HOUR_PREFIX } from './keys.js';

/** How long a replica trusts that fields it wrote are still there. */
export const TEMPLATE_META_REFRESH_MS = MINUTE_MS;
/** How much older than the last batch a stored last seen may be. */
export const LAST_SEEN_STEP_MS = 5_000;
/** Entries kept: several hours' templates (an hour hash holds about 1,000) before older ones are dropped. */
const MAX_ENTRIES = 20_000;
/** Field suffixes of the set-once fields (keys.ts templateHourKey). */
const FIRST_SEEN = '|f';
const INFO = '|i';
const LAST_SEEN = '|l';

export class TemplateMetaSent {
  private readonly sent = new Map<string, number>();
  private readonly lastSeen = new Map<string, number>();
  constructor(
    private readonly refreshMs = TEMPLATE_META_REFRESH_MS,
    private readonly lastSeenStepMs = LAST_SEEN_STEP_MS,
  ) {}

  /** Whether this replica wrote `id`'s set-once fields to `key` less than refreshMs before `now`. */
  fresh(key: string, id: string, now: number): boolean {
    const at = this.sent.get(`${key}\n${id}`);
    return at !== undefined && recent(at, now, this.refreshMs);
  }

  /** Whether this replica wrote `id`'s last seen to `key` less than lastSeenStepMs before `now`. */
  lastSeenFresh(key: string, id: string, now: number): boolean {
    const at = this.lastSeen.get(`${key}\n${id}`);
    return at !== undefined && recent(at, now, this.lastSeenStepMs);
  }

  /**
   * Records the set-once fields among the ops of an apply that took effect (or had taken effect already: a
   * redelivered batch id wrote the same ops before). A template counts when both its fields were sent.
   */
  note(ops: readonly WriteOp[], now: number): void {
    const firsts = new Set<string>();
    for (const op of ops) {
      if (op.op !== 'hsetCapped' || !op.key.startsWith(TEMPLATE_HOUR_PREFIX)) continue;
      const f = op.field;
      if (!op.nx) {
        if (f.endsWith(LAST_SEEN)) this.lastSeen.set(`${op.key}\n${f.slice(0, -LAST_SEEN.length)}`, now);
      } else if (f.endsWith(FIRST_SEEN)) firsts.add(`${op.key}\n${f.slice(0, -FIRST_SEEN.length)}`);
      else if (f.endsWith(INFO)) {
        const k = `${op.key}\n${f.slice(0, -INFO.length)}`;
        if (firsts.has(k)) this.sent.set(k, now);
      }
    }
    prune(this.sent, now, this.refreshMs);
    prune(this.lastSeen, now, this.lastSeenStepMs);
  }
}

/** Written at `at`, less than `ms` before now (a clock that went back is not trusted). */
function recent(at: number, now: number, ms: number): boolean {
  return at <= now && now - at < ms;
}

/** Past MAX_ENTRIES: drops the stale entries, then, if still over, all of them (they are only a saving). */
function prune(m: Map<string, number>, now: number, ms: number): void {
  if (m.size <= MAX_ENTRIES) return;
  for (const [k, at] of m) if (!recent(at, now, ms)) m.delete(k);
  if (m.size > MAX_ENTRIES) m.clear();
}

// Which templates' set-once fields (`|f` first seen, `|i` source and text, both written with NX) one
// detect-anomaly replica has written to an hour's template hash lately. Once there, sending them again with
// every batch changes nothing but costs the apply two writes per template and the text's bytes (~180 of a
// 2,000-line batch's ~1,060 writes), so statsWrites leaves them out while they are fresh. They are sent
// again after REFRESH_MS all the same: a template hash deleted within the hour has them back within a minute.
import type { WriteOp } from '../kv/types.js';
import { MINUTE_MS, TEMPLATE_HOUR_PREFIX } from './keys.js';

/** How long a replica trusts that fields it wrote are still there. */
export const TEMPLATE_META_REFRESH_MS = MINUTE_MS;
/** Entries kept: several hours' templates (an hour hash holds about 1,000) before older ones are dropped. */
const MAX_ENTRIES = 20_000;
/** Field suffixes of the set-once fields (keys.ts templateHourKey). */
const FIRST_SEEN = '|f';
const INFO = '|i';

export class TemplateMetaSent {
  private readonly sent = new Map<string, number>();
  constructor(private readonly refreshMs = TEMPLATE_META_REFRESH_MS) {}

  /** Whether this replica wrote `id`'s set-once fields to `key` less than refreshMs before `now`. */
  fresh(key: string, id: string, now: number): boolean {
    const at = this.sent.get(`${key}\n${id}`);
    return at !== undefined && this.recent(at, now);
  }

  /** Written at `at`, less than refreshMs before now (a clock that went back is not trusted). */
  private recent(at: number, now: number): boolean {
    return at <= now && now - at < this.refreshMs;
  }

  /**
   * Records the set-once fields among the ops of an apply that took effect (or had taken effect already: a
   * redelivered batch id wrote the same ops before). A template counts when both its fields were sent.
   */
  note(ops: readonly WriteOp[], now: number): void {
    const firsts = new Set<string>();
    for (const op of ops) {
      if (op.op !== 'hsetCapped' || !op.nx || !op.key.startsWith(TEMPLATE_HOUR_PREFIX)) continue;
      const f = op.field;
      if (f.endsWith(FIRST_SEEN)) firsts.add(`${op.key}\n${f.slice(0, -FIRST_SEEN.length)}`);
      else if (f.endsWith(INFO)) {
        const k = `${op.key}\n${f.slice(0, -INFO.length)}`;
        if (firsts.has(k)) this.sent.set(k, now);
      }
    }
    if (this.sent.size > MAX_ENTRIES) this.prune(now);
  }

  /** Drops the stale entries, then, if still over the bound, all of them (they are only a saving). */
  private prune(now: number): void {
    for (const [k, at] of this.sent) if (!this.recent(at, now)) this.sent.delete(k);
    if (this.sent.size > MAX_ENTRIES) this.sent.clear();
  }
}

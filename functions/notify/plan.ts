// What to notify for one source (pure): each incident's transition since the last notice, held back by
// the per-source rate limit, and the targets still owed it. Tested as tables (plan.test.ts).

import type { Incident } from '../../core/incident.js';
import type { IncidentState } from '../../core/incident-change.js';

/** What notify last announced about an incident, and to which targets it still owes that. */
export interface SentRecord {
  state: 'open' | 'closed';
  transition: IncidentState;
  count: number;
  templates: number;
  /** Targets that have not received `transition` yet (a failed send is retried for these only). */
  pending: string[];
  /** The incident as announced, so it can still be resolved if it leaves the KV unseen. */
  incident: Incident;
  at: number;
}

export interface Send {
  incident: Incident;
  transition: IncidentState;
  targets: string[];
}

export interface PlanInput {
  /** The source's incidents: open ones, and closed ones notify has a record of. */
  current: Incident[];
  records: ReadonlyMap<string, SentRecord>;
  targets: readonly string[];
  /** Notifications charged to the source in the current rate window. */
  used: number;
  limit: number;
  updateFactor: number;
  now: number;
}

export interface Plan {
  sends: Send[];
  /** Records after the plan, before the sends' results (settle() applies those). */
  records: Map<string, SentRecord>;
  /** Opened/updated notifications charged to the rate window. */
  charged: number;
  /** Changes held back by the rate limit (announced later, once the window allows). */
  held: number;
}

const templatesOf = (inc: Incident) => inc.templateIds?.length ?? (inc.templateId ? 1 : 0);

/** The transition to announce, or null: nothing material happened since the last notice. */
export function transitionOf(
  rec: SentRecord | undefined,
  inc: Incident,
  updateFactor: number,
): IncidentState | null {
  // An incident that closed before anything was announced stays silent (a replayed history, a held one).
  if (!rec) return inc.status === 'open' ? 'opened' : null;
  if (rec.state === 'closed') return null;
  if (inc.status === 'closed') return 'closed';
  if (inc.count >= rec.count * updateFactor || templatesOf(inc) > rec.templates) return 'updated';
  return null;
}

/** Closing what was announced is never held back; opened and updated wait for room in the window. */
export function rateAllows(t: IncidentState, used: number, limit: number): boolean {
  return t === 'closed' || used < limit;
}

export function plan(p: PlanInput): Plan {
  const records = new Map(p.records);
  const sends: Send[] = [];
  let used = p.used;
  let charged = 0;
  let held = 0;
  // Oldest first, so a held-back change is the newest, not the one that has waited longest.
  const current = [...p.current].sort((a, b) => a.firstTs.localeCompare(b.firstTs));
  for (const inc of current) {
    let rec = records.get(inc.id);
    const t = transitionOf(rec, inc, p.updateFactor);
    if (t) {
      if (!rateAllows(t, used, p.limit)) held++;
      else {
        if (t !== 'closed') {
          used++;
          charged++;
        }
        rec = {
          state: t === 'closed' ? 'closed' : 'open',
          transition: t,
          count: inc.count,
          templates: templatesOf(inc),
          pending: [...p.targets],
          incident: inc,
          at: p.now,
        };
        records.set(inc.id, rec);
      }
    }
    const owed = rec?.pending.filter((x) => p.targets.includes(x)) ?? [];
    // A target removed from the config is owed nothing.
    if (rec && owed.length < rec.pending.length) {
      rec = { ...rec, pending: owed };
      records.set(inc.id, rec);
    }
    if (rec && owed.length) sends.push({ incident: inc, transition: rec.transition, targets: owed });
  }
  return { sends, records, charged, held };
}

export type Outcome = 'ok' | 'retry' | 'drop';

/**
 * Records after the sends: a target that succeeded, or failed for good (a 4xx: resending cannot help),
 * is owed nothing more; one that may succeed later stays pending. A closed incident owed nothing is
 * forgotten.
 */
export function settle(
  records: ReadonlyMap<string, SentRecord>,
  outcomes: ReadonlyMap<string, ReadonlyMap<string, Outcome>>,
): Map<string, SentRecord> {
  const out = new Map<string, SentRecord>();
  for (const [id, rec] of records) {
    const o = outcomes.get(id);
    const pending = rec.pending.filter((t) => {
      const r = o?.get(t);
      return r === undefined || r === 'retry';
    });
    if (rec.state === 'closed' && !pending.length) continue;
    out.set(id, { ...rec, pending });
  }
  return out;
}

// Incidents: what detect-anomaly reports at the level an operator reads (one per burst, new template or
// shift, not one per line), their KV layout and a pure reader, shared by detect-anomaly (the writer),
// stats, the CLI and the dashboard. Documented in docs/detect-anomaly.md (Incidents).
import { parseEventTime } from './event-time.js';
import { slotTag } from './kv/slots.js';
import type { KV } from './kv/types.js';
import { MODEL_KEYS } from './model-status.js';

export const INCIDENT_KINDS = [
  'new_template',
  'count_spike',
  'count_drop',
  'error_rate',
  'event_anomaly',
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export interface Incident {
  /** Stable for the same source, kind, group and first time (the same input gives the same ids). */
  id: string;
  source: string;
  kind: IncidentKind;
  /** The template concerned; absent when the incident is about the whole source. */
  templateId?: string;
  template?: string;
  /** Event time (ISO 8601) of the first and last anomalous event or bucket. */
  firstTs: string;
  lastTs: string;
  /** Lines the incident covers (anomalous events, or the events of its anomalous buckets). */
  count: number;
  /** For count and rate kinds: the most anomalous bucket's value and the baseline it was judged on. */
  actual?: number;
  typical?: number;
  /** Why, with the numbers; the first is the headline. At most INCIDENT_CAPS.reasons. */
  reasons: string[];
  /** Up to INCIDENT_CAPS.examples raw lines. */
  examples: string[];
  status: 'open' | 'closed';
  /** Every template the incident groups (new templates, templates spiking together; bounded), the first in templateId. */
  templateIds?: string[];
  /** Processing time (epoch ms) of the last update, so a source that went silent still closes its incidents. */
  updatedAt?: number;
  /** Time bucket (event time / window) of the last anomalous bucket, for count kinds. */
  lastBucket?: number;
}

export const INCIDENT_CAPS = {
  /** Example lines kept per incident: enough to recognise it, little enough to store thousands. */
  examples: 5,
  /** Characters kept per example line. */
  exampleChars: 1000,
  reasons: 8,
  /** Templates listed in a new_template incident. */
  templateIds: 20,
  /** Open incidents per source; beyond it a new one is dropped (counted in the open hash's `_dropped`). */
  openPerSource: 50,
  /** Closed incidents kept over all sources (newest first). */
  closed: 500,
} as const;

/** Event time without a new finding after which an incident closes (detect-anomaly's INCIDENT_QUIET default). */
export const DEFAULT_INCIDENT_QUIET_MS = 300_000;

export const INCIDENT_KEYS = {
  /** Hash per source: group key -> Incident JSON of its open incidents (at most openPerSource). */
  open: (source: string) => `detect:inc:${slotTag(source)}`,
  /** List of closed Incident JSON, newest first, capped at INCIDENT_CAPS.closed. */
  closed: 'detect:inc-closed',
} as const;

/** Field of the open hash that counts incidents dropped over the cap. */
export const DROPPED_FIELD = '_dropped';

/** FNV-1a of a string, 2 x 32 bits in hex: short stable ids, no crypto needed. */
export function incidentId(source: string, group: string, firstTs: number): string {
  const s = `${source}\u0000${group}\u0000${firstTs}`;
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0').slice(0, 4);
}

/** What `covers` needs to know about one line. */
export interface CoveredLine {
  source: string;
  templateId: string;
  /** Event time, epoch ms. */
  ts: number;
  isError: boolean;
}

/**
 * Whether an incident covers a line: its source and time span, its template(s) when it has any, only
 * error lines for error_rate. event_anomaly covers only the lines flagged one by one (not decided here).
 */
export function covers(inc: Incident, line: CoveredLine, bucketMs: number): boolean {
  if (inc.kind === 'event_anomaly' || inc.source !== line.source) return false;
  const from = parseEventTime(inc.firstTs);
  // Count kinds are judged per bucket: the span is the buckets'.
  const to = parseEventTime(inc.lastTs) + (inc.kind === 'new_template' ? 0 : bucketMs - 1);
  if (line.ts < from || line.ts > to) return false;
  if (inc.kind === 'error_rate') return line.isError;
  if (inc.templateIds?.length) return inc.templateIds.includes(line.templateId);
  return inc.templateId === undefined || inc.templateId === line.templateId;
}

/** Parses stored incident JSON; null for anything that is not one (a corrupt entry ages out). */
export function parseIncident(s: string): Incident | null {
  try {
    const o = JSON.parse(s) as Incident;
    if (typeof o?.id !== 'string' || typeof o.source !== 'string' || !INCIDENT_KINDS.includes(o.kind))
      return null;
    return o;
  } catch {
    return null;
  }
}

/**
 * Every open incident of every source and the closed ones kept, newest (last event time) first. An open
 * incident not updated for `quietMs` of processing time is shown closed (its source went silent; detect
 * closes it for good on the source's next batch). Two round trips plus the closed list.
 */
export async function readIncidents(
  kv: KV,
  opts: {
    now: number;
    quietMs: number;
    /** Closed incidents read (newest first); default all that are kept. The stats document needs 50. */
    closedLimit?: number;
  },
): Promise<Incident[]> {
  const [sources, closed] = await Promise.all([
    kv.hgetall(MODEL_KEYS.sources),
    kv.lrange(
      INCIDENT_KEYS.closed,
      0,
      Math.min(opts.closedLimit ?? INCIDENT_CAPS.closed, INCIDENT_CAPS.closed) - 1,
    ),
  ]);
  const names = Object.keys(sources);
  const open = names.length ? await kv.hgetallMany(names.map(INCIDENT_KEYS.open)) : [];
  const out: Incident[] = [];
  const seen = new Set<string>();
  for (const h of open) {
    for (const [f, v] of Object.entries(h)) {
      if (f === DROPPED_FIELD) continue;
      const inc = parseIncident(v);
      if (!inc || seen.has(inc.id)) continue;
      seen.add(inc.id);
      if (inc.updatedAt !== undefined && opts.now - inc.updatedAt > opts.quietMs) inc.status = 'closed';
      out.push(inc);
    }
  }
  for (const s of closed) {
    const inc = parseIncident(s);
    if (!inc || seen.has(inc.id)) continue;
    seen.add(inc.id);
    out.push(inc);
  }
  return out.sort(
    (a, b) =>
      b.lastTs.localeCompare(a.lastTs) || b.firstTs.localeCompare(a.firstTs) || a.id.localeCompare(b.id),
  );
}

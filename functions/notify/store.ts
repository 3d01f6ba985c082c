// notify's state in the KV, shared by its replicas: what was announced per incident, the per-source rate
// window, and the locks that keep two replicas from announcing the same change twice.
import {
  DROPPED_FIELD,
  INCIDENT_CAPS,
  INCIDENT_KEYS,
  type Incident,
  parseIncident,
} from '../../core/incident.js';
import { slotTag } from '../../core/kv/slots.js';
import type { KV, WriteOp } from '../../core/kv/types.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import type { SentRecord } from './plan.js';

export const NOTIFY_KEYS = {
  /** Hash per source: incident id -> SentRecord JSON (open incidents announced, closings still owed). */
  sent: (source: string) => `notify:sent:${slotTag(source)}`,
  /** Hash per source: rate window index -> notifications charged; expires after two windows. */
  rate: (source: string) => `notify:rate:${slotTag(source)}`,
  /** Held while one replica reconciles a source. */
  lock: (source: string) => `notify:lock:${slotTag(source)}`,
  /** Claimed by the replica that makes the periodic pass of one RESEND_INTERVAL slot. */
  resend: (slot: number) => `notify:resend:${slot}`,
} as const;

/** Closed incidents searched for the final state of one that left the open set (the newest first). */
const CLOSED_LOOKUP = 100;

export interface SourceState {
  /** Open incidents (status closed when not updated for quietMs: the source went silent). */
  open: Incident[];
  records: Map<string, SentRecord>;
  used: number;
}

const parseRecords = (h: Record<string, string>) => {
  const m = new Map<string, SentRecord>();
  for (const [id, v] of Object.entries(h)) {
    try {
      const r = JSON.parse(v) as SentRecord;
      if (r && typeof r.state === 'string' && Array.isArray(r.pending) && r.incident) m.set(id, r);
    } catch {
      // A corrupt record is dropped with the next rewrite of the hash.
    }
  }
  return m;
};

export const rateWindow = (now: number, windowMs: number) => Math.floor(now / windowMs);

/** One round trip for a source's open incidents, records and rate window. */
export async function readSource(
  kv: KV,
  source: string,
  o: { now: number; quietMs: number; windowMs: number },
): Promise<SourceState> {
  const [open, sent, rate] = await kv.hgetallMany([
    INCIDENT_KEYS.open(source),
    NOTIFY_KEYS.sent(source),
    NOTIFY_KEYS.rate(source),
  ]);
  const incidents: Incident[] = [];
  for (const v of Object.values(open)) {
    const inc = parseIncident(v);
    if (!inc || inc.source !== source) continue;
    if (inc.updatedAt !== undefined && o.now - inc.updatedAt > o.quietMs) inc.status = 'closed';
    incidents.push(inc);
  }
  return {
    open: incidents,
    records: parseRecords(sent),
    used: Number(rate[String(rateWindow(o.now, o.windowMs))]) || 0,
  };
}

/**
 * The source's incidents as notify must judge them: the open ones, plus every announced one that left the
 * open set (closed by detect-anomaly: its final state from the closed list, else as last announced).
 */
export async function currentIncidents(kv: KV, st: SourceState): Promise<Incident[]> {
  const ids = new Set(st.open.map((i) => i.id));
  const gone = [...st.records.values()].filter((r) => !ids.has(r.incident.id));
  if (!gone.length) return st.open;
  const closed = new Map<string, Incident>();
  for (const s of await kv.lrange(
    INCIDENT_KEYS.closed,
    0,
    Math.min(CLOSED_LOOKUP, INCIDENT_CAPS.closed) - 1,
  )) {
    const inc = parseIncident(s);
    if (inc) closed.set(inc.id, inc);
  }
  return [
    ...st.open,
    ...gone.map((r) => ({ ...(closed.get(r.incident.id) ?? r.incident), status: 'closed' as const })),
  ];
}

/** The source's records rewritten whole (bounded by its open incidents) and the rate charge, atomically. */
export function recordWrites(
  source: string,
  records: ReadonlyMap<string, SentRecord>,
  charge: { window: number; by: number; windowMs: number },
): WriteOp[] {
  const ops: WriteOp[] = [{ op: 'del', key: NOTIFY_KEYS.sent(source) }];
  if (records.size)
    ops.push({
      op: 'hset',
      key: NOTIFY_KEYS.sent(source),
      fields: Object.fromEntries([...records].map(([id, r]) => [id, JSON.stringify(r)])),
    });
  if (charge.by > 0)
    ops.push(
      { op: 'hincrby', key: NOTIFY_KEYS.rate(source), field: String(charge.window), by: charge.by },
      { op: 'expire', key: NOTIFY_KEYS.rate(source), ttlMs: 2 * charge.windowMs },
    );
  return ops;
}

/** Sources worth a look on a periodic pass: those with open incidents or records. One round trip each way. */
export async function activeSources(kv: KV): Promise<string[]> {
  const sources = Object.keys(await kv.hgetall(MODEL_KEYS.sources));
  if (!sources.length) return [];
  const hashes = await kv.hgetallMany(sources.flatMap((s) => [INCIDENT_KEYS.open(s), NOTIFY_KEYS.sent(s)]));
  return sources.filter(
    (_, i) =>
      Object.keys(hashes[2 * i]).some((k) => k !== DROPPED_FIELD) ||
      Object.keys(hashes[2 * i + 1]).length > 0,
  );
}

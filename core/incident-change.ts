// Incident state changes as they travel on the `logs.incidents` topic: detect-anomaly lists a batch's
// changes in a response header (its body stays the anomalies), the connector publishes that header to
// the function's `side-output-topic`, and notify reads the incidents themselves from the KV. Only ids
// travel, so the header stays small whatever the incidents hold.
import type { Incident } from './incident.js';

export type IncidentState = 'opened' | 'updated' | 'closed';

export interface IncidentChange {
  source: string;
  id: string;
  state: IncidentState;
}

/**
 * Changes listed per header, and the header's size bound: Node refuses response headers past 16 KB in
 * all, and the gateway and connector parse this one. Notify reconciles a whole source on any change of
 * it, so a source whose changes are cut still gets them all (or on notify's next periodic pass).
 */
export const MAX_CHANGES_PER_MESSAGE = 64;
export const MAX_CHANGES_BYTES = 8 * 1024;

/** The changes of one source's batch: incidents new, changed, or closed (moved out of the open set). */
export function incidentChanges(
  source: string,
  before: ReadonlyMap<string, Incident>,
  open: ReadonlyMap<string, Incident>,
  closed: readonly Incident[],
): IncidentChange[] {
  const was = new Map([...before.values()].map((i) => [i.id, i]));
  const out: IncidentChange[] = [];
  for (const inc of open.values()) {
    const prev = was.get(inc.id);
    if (!prev) out.push({ source, id: inc.id, state: 'opened' });
    else if (prev.updatedAt !== inc.updatedAt || prev.count !== inc.count)
      out.push({ source, id: inc.id, state: 'updated' });
  }
  for (const inc of closed) out.push({ source, id: inc.id, state: 'closed' });
  return out;
}

/**
 * The header value for a batch's changes (JSON, ASCII only: a header cannot carry other characters),
 * undefined when there are none. The first MAX_CHANGES_PER_MESSAGE changes that fit MAX_CHANGES_BYTES.
 */
export function encodeIncidentChanges(changes: readonly IncidentChange[]): string | undefined {
  const kept: string[] = [];
  let bytes = 20;
  for (const c of changes.slice(0, MAX_CHANGES_PER_MESSAGE)) {
    const s = asciiJson(c);
    if (bytes + s.length + 1 > MAX_CHANGES_BYTES) break;
    kept.push(s);
    bytes += s.length + 1;
  }
  return kept.length ? `{"incidents":[${kept.join(',')}]}` : undefined;
}

const asciiJson = (v: unknown) =>
  JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const STATES: readonly string[] = ['opened', 'updated', 'closed'];

/** Parses a `logs.incidents` message body; throws a message fit for a 400 when it is not one. */
export function parseIncidentChanges(body: string): IncidentChange[] {
  let o: unknown;
  try {
    o = JSON.parse(body);
  } catch {
    throw new Error('body is not JSON (expected {"incidents":[{source,id,state}]})');
  }
  const list = (o as { incidents?: unknown })?.incidents;
  if (!Array.isArray(list)) throw new Error('expected {"incidents":[{source,id,state}]}');
  return list.map((c, i) => {
    const x = c as Partial<IncidentChange>;
    if (
      typeof x?.source !== 'string' ||
      !x.source ||
      typeof x.id !== 'string' ||
      !/^[0-9a-f]{1,32}$/.test(x.id) ||
      !STATES.includes(x.state as string)
    )
      throw new Error(`incidents[${i}] must be {source, id (hex), state: opened|updated|closed}`);
    return { source: x.source, id: x.id, state: x.state as IncidentState };
  });
}

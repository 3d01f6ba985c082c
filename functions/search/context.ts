// The lines around an incident: its source's kept lines in event-time order, the incident's own marked,
// `context` lines before the first and after the last of them.
import { covers, INCIDENT_CAPS, type Incident } from '../../core/incident.js';
import type { KV } from '../../core/kv/types.js';
import { allLines } from '../../core/search/chunk.js';
import type { Hit } from '../../core/search/query.js';
import { type ChunkRef, readBlobs, readIndex } from '../../core/search/store.js';

export interface ContextLine extends Hit {
  anomalous: boolean;
}

export interface IncidentContext {
  lines: ContextLine[];
  /** The incident's own lines left out of the middle (beyond MAX_MARKED_SHOWN). */
  omitted: number;
  /** Whether any of the incident's span is still kept (retention may have dropped it). */
  kept: boolean;
}

/** Lines of the incident itself shown at most (the first and last halves): context, not a dump. */
export const MAX_MARKED_SHOWN = 400;
/** Chunks read for one context at most. */
const MAX_CHUNKS = 64;

const ERROR_LEVELS = new Set(['error', 'fatal']);

/** Whether a kept line is one of the incident's (core/incident.ts covers; event anomalies by example). */
export function isIncidentLine(inc: Incident, l: Hit, bucketMs: number): boolean {
  if (inc.kind === 'event_anomaly') {
    const t = Date.parse(inc.firstTs);
    const u = Date.parse(inc.lastTs);
    return (
      l.ts >= t && l.ts <= u && inc.examples.some((x) => x === l.raw.slice(0, INCIDENT_CAPS.exampleChars))
    );
  }
  return covers(
    inc,
    { source: l.source, templateId: l.templateId, ts: l.ts, isError: ERROR_LEVELS.has(l.level) },
    bucketMs,
  );
}

/** The window of sorted lines to show (pure). */
export function contextWindow(inc: Incident, sorted: Hit[], n: number, bucketMs: number): IncidentContext {
  const marked = sorted.map((l) => isIncidentLine(inc, l, bucketMs));
  let first = marked.indexOf(true);
  let last = marked.lastIndexOf(true);
  if (first < 0) {
    // None of its lines kept as such: place the window at its time span.
    const t = Date.parse(inc.firstTs);
    first = sorted.findIndex((l) => l.ts >= t);
    if (first < 0) first = sorted.length;
    last = first - 1;
  }
  const lo = Math.max(0, first - n);
  const hi = Math.min(sorted.length - 1, last + n);
  const lines: ContextLine[] = [];
  let omitted = 0;
  let shown = 0;
  let markedTotal = 0;
  for (let i = first; i <= last; i++) if (marked[i]) markedTotal++;
  for (let i = lo; i <= hi; i++) {
    if (marked[i]) {
      shown++;
      const keep = shown <= MAX_MARKED_SHOWN / 2 || shown > markedTotal - MAX_MARKED_SHOWN / 2;
      if (!keep) {
        omitted++;
        continue;
      }
    } else if (omitted > 0 && shown < markedTotal - MAX_MARKED_SHOWN / 2) continue;
    lines.push({ ...sorted[i], anomalous: marked[i] });
  }
  return { lines, omitted, kept: marked.includes(true) };
}

/** Reads the incident's source's chunks around its span (widening until `n` lines each side) and cuts the window. */
export async function incidentContext(
  kv: KV,
  inc: Incident,
  o: { n: number; now: number; retentionMs: number; bucketMs: number },
): Promise<IncidentContext> {
  const index = await readIndex(kv, { now: o.now, retentionMs: o.retentionMs });
  const chunks = index
    .filter((c) => c.meta.s === inc.source)
    .sort((x, y) => x.meta.a - y.meta.a || x.meta.w - y.meta.w);
  const from = Date.parse(inc.firstTs);
  const to =
    Date.parse(inc.lastTs) +
    (inc.kind === 'new_template' || inc.kind === 'event_anomaly' ? 0 : o.bucketMs - 1);
  let lo = chunks.findIndex((c) => c.meta.b >= from);
  if (lo < 0) lo = chunks.length;
  let hi = lo - 1;
  while (hi + 1 < chunks.length && chunks[hi + 1].meta.a <= to) hi++;
  const lines: Hit[] = [];
  const load = async (part: ChunkRef[]) => {
    const blobs = await readBlobs(
      kv,
      part.map((c) => c.id),
    );
    part.forEach((c, k) => {
      const blob = blobs[k];
      if (blob) for (const { line } of allLines(blob)) lines.push({ source: c.meta.s, ...line });
    });
  };
  await load(chunks.slice(Math.max(0, lo), hi + 1).slice(0, MAX_CHUNKS));
  let loaded = Math.max(0, hi - lo + 1);
  // Widen one chunk at a time on a side that has fewer than n lines outside the span.
  while (loaded < MAX_CHUNKS) {
    const before = lines.filter((l) => l.ts < from).length;
    const after = lines.filter((l) => l.ts > to).length;
    const left = before < o.n && lo > 0;
    const right = after < o.n && hi + 1 < chunks.length;
    if (!left && !right) break;
    const part: ChunkRef[] = [];
    if (left) part.push(chunks[--lo]);
    if (right) part.push(chunks[++hi]);
    await load(part);
    loaded += part.length;
  }
  // Stable: lines of one time keep their chunk's and line order.
  const sorted = lines
    .map((l, i) => ({ l, i }))
    .sort((x, y) => x.l.ts - y.l.ts || x.i - y.i)
    .map((x) => x.l);
  return contextWindow(inc, sorted, o.n, o.bucketMs);
}

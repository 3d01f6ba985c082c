// Groups one source's findings of a batch into incidents (pure): count findings per bucket, lines of
// templates new since the warm-up, and lines anomalous one by one. An incident stays open while its
// group keeps firing and closes after a quiet period of the source's event time. State: the source's
// open incidents (core/incident.ts INCIDENT_KEYS.open), read with the batch and rewritten when changed.
import { parseEventTime } from '../../core/event-time.js';
import { INCIDENT_CAPS, type Incident, type IncidentKind, incidentId } from '../../core/incident.js';
import { type CountFinding, SOURCE_KEY } from './baseline.js';
import { fmt } from './explain.js';

/** A line that joins an incident on its own: a new template's line, or one anomalous by itself. */
export interface LineFinding {
  kind: 'new_template' | 'event_anomaly';
  templateId: string;
  template: string;
  ts: number;
  raw: string;
  reasons: readonly string[];
}

export interface IncidentUpdate {
  /** Open incidents after the batch, by group key. */
  open: Map<string, Incident>;
  /** Incidents this batch closed. */
  closed: Incident[];
  changed: boolean;
  /** New incidents not opened because the source had INCIDENT_CAPS.openPerSource open. */
  dropped: number;
}

export interface IncidentContext {
  source: string;
  /** Processing time. */
  now: number;
  windowMs: number;
  quietMs: number;
  /**
   * A template first seen this long after the source's latest new-template incident last grew opens an
   * incident of its own (default: quietMs, one incident while new templates keep coming).
   */
  newTemplateGapMs?: number;
  /** Latest event time of the source in this batch. */
  sourceTime: number;
  templateText: (tpl: string) => string;
  /** Raw lines of a key (SOURCE_KEY: any line of the source) in a bucket, from this batch, errors only if asked. */
  examplesOf: (key: string, bucket: number, errorsOnly: boolean) => string[];
}

/** Group of the templates that spike while their source does not. */
const TEMPLATES_KEY = 'templates';

/** Open incidents kept free for count, rate and new-template incidents (see touch). */
const HEADROOM = 10;

const iso = (ms: number) => new Date(ms).toISOString();
const ratio = (r: number) => (r >= 10 ? `${Math.round(r)}x` : `${r.toFixed(1)}x`);
const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;
const clip = (s: string, n = 80) => (s.length > n ? `${s.slice(0, n)}…` : s);

function groupOf(kind: IncidentKind, key: string): string {
  // A new-template incident's key is its first template (a store written before they split: 'new_template').
  return kind === 'new_template' && key === NEW_KEY ? NEW_KEY : `${kind}|${key}`;
}

const NEW_KEY = 'new_template';

export function updateIncidents(
  before: ReadonlyMap<string, Incident>,
  counts: CountFinding[],
  lines: LineFinding[],
  ctx: IncidentContext,
): IncidentUpdate {
  const open = new Map<string, Incident>();
  const closed: Incident[] = [];
  let changed = false;
  let dropped = 0;
  for (const [g, inc] of before)
    open.set(g, {
      ...inc,
      reasons: [...inc.reasons],
      examples: [...inc.examples],
      ...(inc.templateIds ? { templateIds: [...inc.templateIds] } : {}),
    });
  // Quiet for quietMs of the source's own clock: closed, so a replayed history (one batch may span
  // months) closes on event time as live data does.
  const closeIfQuiet = (g: string, at: number) => {
    const inc = open.get(g);
    if (inc && parseEventTime(inc.lastTs) + ctx.quietMs < at) {
      closed.push({ ...inc, status: 'closed' });
      open.delete(g);
      changed = true;
    }
  };
  const touch = (kind: IncidentKind, key: string, ts: number, tpl?: string): Incident | undefined => {
    let g = groupOf(kind, key);
    closeIfQuiet(g, ts);
    let inc = open.get(g);
    // Past the cap, lines anomalous on their own share one incident for the source (a scan hits many
    // templates); the other kinds keep HEADROOM more, so a burst is still reported during a scan.
    if (!inc && kind === 'event_anomaly' && open.size >= INCIDENT_CAPS.openPerSource - HEADROOM) {
      g = groupOf(kind, SOURCE_KEY);
      inc = open.get(g);
      tpl = undefined;
    }
    if (!inc) {
      if (open.size >= INCIDENT_CAPS.openPerSource) {
        dropped++;
        return undefined;
      }
      inc = {
        id: incidentId(ctx.source, g, ts),
        source: ctx.source,
        kind,
        ...(tpl !== undefined ? { templateId: tpl, template: clip(ctx.templateText(tpl), 300) } : {}),
        firstTs: iso(ts),
        lastTs: iso(ts),
        count: 0,
        reasons: [],
        examples: [],
        status: 'open',
        updatedAt: ctx.now,
      };
      open.set(g, inc);
    }
    if (ts > parseEventTime(inc.lastTs)) inc.lastTs = iso(ts);
    if (ts < parseEventTime(inc.firstTs)) inc.firstTs = iso(ts);
    inc.updatedAt = ctx.now;
    changed = true;
    return inc;
  };
  const example = (inc: Incident, raw: string) => {
    if (inc.examples.length < INCIDENT_CAPS.examples)
      inc.examples.push(
        raw.length > INCIDENT_CAPS.exampleChars ? raw.slice(0, INCIDENT_CAPS.exampleChars) : raw,
      );
  };
  const addReason = (inc: Incident, r: string) => {
    if (!inc.reasons.includes(r) && inc.reasons.length < INCIDENT_CAPS.reasons) inc.reasons.push(r);
  };

  // A template spiking in a bucket where the whole source spikes is part of that burst: one incident.
  const sourceSpike = new Set(
    counts.filter((f) => f.kind === 'count_spike' && f.key === SOURCE_KEY).map((f) => f.bucket),
  );
  const countAction = (f: CountFinding) => {
    const folded = f.kind === 'count_spike' && f.key !== SOURCE_KEY && sourceSpike.has(f.bucket);
    // Templates spiking while the source does not (a burst of a few kinds of line) share one incident.
    const tplSpike = f.kind === 'count_spike' && f.key !== SOURCE_KEY && !folded;
    const key = folded ? SOURCE_KEY : tplSpike ? TEMPLATES_KEY : f.key;
    const inc = touch(f.kind, key, f.fromBucket * ctx.windowMs, key === SOURCE_KEY ? undefined : f.key);
    if (!inc) return;
    if (ctx.windowMs * f.bucket > parseEventTime(inc.lastTs)) inc.lastTs = iso(f.bucket * ctx.windowMs);
    if (folded || tplSpike) {
      if (tplSpike) {
        const ids = (inc.templateIds ??= [f.key]);
        if (!ids.includes(f.key) && ids.length < INCIDENT_CAPS.templateIds) ids.push(f.key);
      }
      addReason(
        inc,
        `template "${clip(ctx.templateText(f.key), 60)}": ${fmt(f.actual)} lines, typical ~${fmt(f.typical)}`,
      );
    }
    if (folded) return;
    // The same bucket judged again (a later batch of it) adds only its new lines.
    inc.count += inc.lastBucket === f.bucket ? f.added : f.lines;
    inc.lastBucket = f.bucket;
    const headline = headlineOf(f, ctx.windowMs);
    const stronger =
      inc.actual === undefined || (f.kind === 'count_drop' ? f.actual < inc.actual : f.actual > inc.actual);
    if (stronger) {
      inc.actual = f.kind === 'error_rate' ? round4(f.actual) : f.actual;
      inc.typical = f.kind === 'error_rate' ? round4(f.typical) : Math.round(f.typical * 10) / 10;
      inc.reasons[0] = headline;
    }
    for (const raw of ctx.examplesOf(f.key, f.bucket, f.kind === 'error_rate')) example(inc, raw);
  };

  // A new template's line joins the incident that lists its template, else the latest new-template
  // incident if that grew within the gap (a scan, an upgrade: many templates at once), else opens one.
  const newTemplateKey = (l: LineFinding): string => {
    let latest: [string, number] | undefined;
    for (const [g, inc] of open) if (inc.kind === 'new_template') closeIfQuiet(g, l.ts);
    for (const [g, inc] of open) {
      if (inc.kind !== 'new_template') continue;
      if (inc.templateIds?.includes(l.templateId) || inc.templateId === l.templateId)
        return g === NEW_KEY ? NEW_KEY : g.slice(NEW_KEY.length + 1);
      const last = parseEventTime(inc.lastTs);
      if (!latest || last > latest[1]) latest = [g, last];
    }
    if (latest && l.ts - latest[1] <= (ctx.newTemplateGapMs ?? ctx.quietMs))
      return latest[0] === NEW_KEY ? NEW_KEY : latest[0].slice(NEW_KEY.length + 1);
    return l.templateId;
  };

  const lineAction = (l: LineFinding) => {
    const key = l.kind === 'new_template' ? newTemplateKey(l) : l.templateId;
    const inc = touch(l.kind, key, l.ts, l.templateId);
    if (!inc) return;
    inc.count++;
    if (l.kind === 'new_template') {
      const ids = (inc.templateIds ??= [inc.templateId ?? l.templateId]);
      if (!ids.includes(l.templateId)) {
        if (ids.length < INCIDENT_CAPS.templateIds) {
          ids.push(l.templateId);
          example(inc, l.raw);
        }
        addReason(inc, `new template: "${clip(l.template, 100)}"`);
      } else if (inc.count === 1) example(inc, l.raw);
      inc.reasons[0] = `${fmt(ids.length)} template${ids.length === 1 ? '' : 's'} never seen before, ${fmt(inc.count)} line${inc.count === 1 ? '' : 's'}`;
      if (inc.reasons.length === 1) addReason(inc, `new template: "${clip(l.template, 100)}"`);
    } else {
      example(inc, l.raw);
      inc.reasons[0] = `${fmt(inc.count)} line${inc.count === 1 ? '' : 's'} anomalous on their own`;
      for (const r of l.reasons) addReason(inc, r);
    }
  };
  // In event-time order, so quiet gaps inside one batch close incidents as they would between batches.
  const actions: { ts: number; run: () => void }[] = [
    ...counts.map((f) => ({ ts: f.fromBucket * ctx.windowMs, run: () => countAction(f) })),
    ...lines.map((l) => ({ ts: l.ts, run: () => lineAction(l) })),
  ];
  actions.sort((a, b) => a.ts - b.ts);
  for (const a of actions) a.run();
  for (const g of [...open.keys()]) closeIfQuiet(g, ctx.sourceTime);
  return { open, closed, changed, dropped };
}

function headlineOf(f: CountFinding, windowMs: number): string {
  const per = `per ${fmt(windowMs / 1000)} s`;
  const what = f.key === SOURCE_KEY ? 'lines' : 'lines of this template';
  const daily = f.daily ? ' at this hour of day' : '';
  switch (f.kind) {
    case 'count_spike':
      return `count spike: ${fmt(f.actual)} ${what} ${per}, typical ~${fmt(f.typical)}${daily} (${ratio(f.actual / Math.max(f.typical, 1))})`;
    case 'count_drop':
      return f.bucket > f.fromBucket || f.actual === 0
        ? `count drop: no lines for ${fmt(((f.bucket - f.fromBucket + 1) * windowMs) / 1000)} s, typical ~${fmt(f.typical)} ${per}`
        : `count drop: ${fmt(f.actual)} ${what} ${per}, typical ~${fmt(f.typical)}`;
    case 'error_rate':
      return `error rate ${pct(f.actual)} (${fmt(f.lines)} errors in the bucket), typical ${pct(f.typical)}`;
  }
}

const round4 = (x: number) => Math.round(x * 10000) / 10000;

// The incident update of one source's batch, as the detector applies it (pure).
import type { LogEvent } from '../../core/event.js';
import { type IncidentChange, incidentChanges } from '../../core/incident-change.js';
import type { WriteOp } from '../../core/kv/types.js';
import type { MuteSet } from '../../core/mutes/mute.js';
import { SOURCE_KEY } from './baseline.js';
import type { DetectConfig } from './config.js';
import type { SourceResult } from './detect.js';
import { type LineFinding, updateIncidents } from './incidents.js';
import { incidentWrites, type SourceState } from './state.js';

/** The incident update of one source's batch (incidents.ts), as writes, and its changes for notify. */
export function incidentOps(
  source: string,
  events: LogEvent[],
  r: SourceResult,
  state: Pick<SourceState, 'incidents' | 'droppedIncidents'>,
  o: { cfg: DetectConfig; now: number; muted: MuteSet },
): { writes: WriteOp[]; changes: IncidentChange[] } {
  const { cfg, now, muted } = o;
  const lines: LineFinding[] = [];
  const line = (kind: LineFinding['kind'], i: number, reasons: readonly string[]) => {
    if (muted.size && muted.has(events[i].source, events[i].templateId)) return;
    lines.push({
      kind,
      templateId: r.keys[i].tpl,
      template: events[i].template,
      ts: r.keys[i].ts,
      raw: events[i].raw || events[i].message,
      reasons,
    });
  };
  for (const i of r.newTemplateIndex) line('new_template', i, []);
  r.anomalyIndex.forEach((i, j) => {
    line('event_anomaly', i, r.anomalies[j].reasons);
  });
  if (!lines.length && !r.counts.length && !state.incidents.size) return { writes: [], changes: [] };

  let sourceTime = Number.NEGATIVE_INFINITY;
  for (const k of r.keys) if (k.ts > sourceTime) sourceTime = k.ts;
  const texts = new Map<string, string>();
  for (let i = 0; i < events.length; i++)
    if (!texts.has(r.keys[i].tpl)) texts.set(r.keys[i].tpl, events[i].template);
  // A muted template's own spikes are not reported (its lines still count in its source's).
  const mutedTpl = (tpl: string) =>
    muted.size > 0 && events.some((e, i) => r.keys[i].tpl === tpl && muted.has(e.source, e.templateId));
  const counts = muted.size ? r.counts.filter((f) => f.key === SOURCE_KEY || !mutedTpl(f.key)) : r.counts;
  const u = updateIncidents(state.incidents, counts, lines, {
    source,
    now,
    windowMs: cfg.windowMs,
    quietMs: cfg.incidentQuietMs,
    newTemplateGapMs: cfg.newTemplateGapMs,
    sourceTime,
    templateText: (tpl) => texts.get(tpl) ?? tpl,
    examplesOf: (key, bucket, errorsOnly) => {
      const out: string[] = [];
      for (let i = 0; i < events.length && out.length < 5; i++) {
        const k = r.keys[i];
        if (k.bucket !== bucket || (key !== SOURCE_KEY && k.tpl !== key) || (errorsOnly && !k.isError))
          continue;
        out.push(events[i].raw || events[i].message);
      }
      return out;
    },
  });
  if (!u.changed && !u.dropped) return { writes: [], changes: [] };
  return {
    writes: incidentWrites(source, u.open, u.closed, state.droppedIncidents + u.dropped),
    changes: incidentChanges(source, state.incidents, u.open, u.closed),
  };
}

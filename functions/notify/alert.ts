// Incident -> Alertmanager v2 postable alert (pure). One alert per incident: its labels identify it
// (Alertmanager deduplicates on them), its annotations carry what an operator reads.
import type { Incident } from '../../core/incident.js';

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL: string;
}

/** Example lines per alert and characters per line: enough to recognise it, small enough for any receiver. */
export const ALERT_EXAMPLES = 5;
export const ALERT_EXAMPLE_CHARS = 500;

export const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The dashboard page of one incident. */
export const incidentLink = (dashboardUrl: string, id: string) =>
  `${dashboardUrl}/#incident=${encodeURIComponent(id)}`;

/** What the alert says in one line when the incident has no template (a whole-source incident). */
export function summaryOf(inc: Incident): string {
  return inc.template ?? `${inc.kind.replace(/_/g, ' ')} in ${inc.source}`;
}

/**
 * The alert of an incident. Open: no endsAt (Alertmanager keeps it firing while it is re-sent and
 * resolves it after its resolve_timeout otherwise). Closed: endsAt = `now`, which resolves it at once.
 */
export function toAlert(inc: Incident, o: { dashboardUrl: string; now: number }): PostableAlert {
  const labels: Record<string, string> = {
    alertname: 'LogAnomaly',
    source: inc.source,
    kind: inc.kind,
    incident_id: inc.id,
  };
  if (inc.templateId) labels.template_id = inc.templateId;
  const link = incidentLink(o.dashboardUrl, inc.id);
  const annotations: Record<string, string> = {
    summary: summaryOf(inc),
    description: inc.reasons.join('\n'),
    count: String(inc.count),
    dashboard: link,
  };
  inc.examples.slice(0, ALERT_EXAMPLES).forEach((line, i) => {
    annotations[`example_${i + 1}`] = cut(line, ALERT_EXAMPLE_CHARS);
  });
  // Event times can lie ahead of the clock (skewed hosts); an alert cannot start in the future.
  const first = Date.parse(inc.firstTs);
  const startsAt = new Date(Number.isFinite(first) ? Math.min(first, o.now) : o.now).toISOString();
  return {
    labels,
    annotations,
    startsAt,
    ...(inc.status === 'closed' ? { endsAt: new Date(o.now).toISOString() } : {}),
    generatorURL: link,
  };
}

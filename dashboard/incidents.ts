// The Incidents panel (the main anomaly view) and the detail dialog an incident opens to: its facts,
// example lines and the mute form. Log text only ever goes in through textContent (dom.ts).
import type { Mute } from '../core/mutes/mute.js';
import type { Incident, StatsDoc } from '../core/stats/doc.js';
import { byId, el, fill, table } from './dom.js';
import { clip, DASH, fmtInt, fmtTime } from './format.js';

const KIND_LABELS: Record<string, string> = {
  new_template: 'new template',
  count_spike: 'count spike',
  count_drop: 'count drop',
  error_rate: 'error rate',
  event_anomaly: 'anomalous events',
};

export const kindLabel = (k: string): string => KIND_LABELS[k] ?? k;

/** `actual vs typical`, when the incident has them. */
export function fmtActualTypical(inc: Pick<Incident, 'actual' | 'typical'>): string {
  const n = (x: unknown) =>
    typeof x === 'number' && Number.isFinite(x)
      ? Number.isInteger(x)
        ? fmtInt(x)
        : x.toFixed(2)
      : undefined;
  const a = n(inc.actual);
  const t = n(inc.typical);
  if (a === undefined && t === undefined) return DASH;
  return `${a ?? DASH} vs ${t ?? DASH}`;
}

const timeOf = (x: unknown) =>
  typeof x === 'number' ? x : typeof x === 'string' ? Date.parse(x) : Number.NaN;

/** Newest first (last event time, then first), whatever order the document had. */
export function newestFirst(list: readonly Incident[]): Incident[] {
  const t = (x: unknown) => (Number.isFinite(timeOf(x)) ? timeOf(x) : 0);
  return [...list].sort((a, b) => t(b.lastTs) - t(a.lastTs) || t(b.firstTs) - t(a.firstTs));
}

export function isMuted(
  mutes: readonly Mute[],
  source: string,
  templateId: string | undefined,
): Mute | undefined {
  if (templateId === undefined) return undefined;
  return mutes.find((m) => m.source === source && m.templateId === templateId);
}

export function renderIncidents(
  doc: StatsDoc,
  open: (inc: Incident) => void,
  openMute: (m: Mute) => void,
): void {
  const incidents = newestFirst(Array.isArray(doc.incidents) ? doc.incidents : []);
  const mutes = Array.isArray(doc.mutes) ? doc.mutes : [];
  const rows = incidents.map((inc) => {
    const muted = isMuted(mutes, inc.source, inc.templateId);
    const tr = el(
      'tr',
      { class: 'clickable', tabindex: '0', title: 'Show its lines', 'data-id': inc.id },
      el(
        'td',
        { class: 'nowrap' },
        el('span', { class: `pill ${inc.status === 'open' ? 'bad' : 'muted'}` }, inc.status),
        muted ? el('span', { class: 'pill warn' }, 'muted') : null,
      ),
      el('td', { class: 'nowrap' }, kindLabel(inc.kind)),
      el('td', {}, inc.source),
      el(
        'td',
        { class: 'mono wrap message', title: inc.template ?? '' },
        clip(inc.template ?? inc.templateId ?? DASH, 120),
      ),
      el('td', { class: 'num' }, fmtInt(inc.count)),
      el('td', { class: 'num nowrap' }, fmtActualTypical(inc)),
      el('td', {}, ...inc.reasons.slice(0, 3).map((r) => el('span', { class: 'chip' }, r))),
      el('td', { class: 'num nowrap' }, fmtTime(inc.firstTs)),
      el('td', { class: 'num nowrap' }, fmtTime(inc.lastTs)),
    );
    onActivate(tr, () => open(inc));
    return tr;
  });
  fill(
    byId('incidents'),
    table(
      ['Status', 'Kind', 'Source', 'Template', 'Count', 'Actual vs typical', 'Reasons', 'First', 'Last'],
      rows,
      'No incidents: nothing unusual reported.',
      'incidents',
    ),
  );
  const muteRows = mutes.map((m) => {
    const tr = el(
      'tr',
      { class: 'clickable', tabindex: '0', title: 'Show or unmute' },
      el('td', { class: 'mono' }, m.templateId),
      el('td', {}, m.source),
      el('td', { class: 'num nowrap' }, m.until === undefined ? 'until unmuted' : fmtTime(m.until)),
      el('td', { class: 'wrap' }, m.reason ?? DASH),
      el('td', {}, m.by ?? DASH),
    );
    onActivate(tr, () => openMute(m));
    return tr;
  });
  fill(
    byId('mutes'),
    muteRows.length
      ? el(
          'details',
          {},
          el('summary', {}, `Muted templates (${muteRows.length})`),
          table(['Template id', 'Source', 'Until', 'Reason', 'By'], muteRows, '', 'mutes'),
        )
      : null,
  );
}

/** The facts of the dialog: a definition list of label/value pairs. */
export function facts(pairs: [string, string][]): HTMLElement {
  return el('dl', { class: 'facts' }, ...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

export function incidentFacts(inc: Incident): HTMLElement {
  return facts([
    ['Kind', kindLabel(inc.kind)],
    ['Status', inc.status],
    ['Source', inc.source],
    ['Template id', inc.templateId ?? DASH],
    ['Template', inc.template ?? DASH],
    ['Count', fmtInt(inc.count)],
    ['Actual vs typical', fmtActualTypical(inc)],
    ['First', fmtTime(inc.firstTs)],
    ['Last', fmtTime(inc.lastTs)],
  ]);
}

export function muteFacts(m: Mute): HTMLElement {
  return facts([
    ['Source', m.source],
    ['Template id', m.templateId],
    ['Muted at', fmtTime(m.at)],
    ['Until', m.until === undefined ? 'until unmuted' : fmtTime(m.until)],
    ['Reason', m.reason ?? DASH],
    ['By', m.by ?? DASH],
  ]);
}

export function fillIncidentDialog(inc: Incident): void {
  byId('incident-title').textContent = `${kindLabel(inc.kind)} · ${inc.source}`;
  fill(byId('incident-facts'), incidentFacts(inc));
  byId('incident-reasons').textContent = inc.reasons.join(', ') || DASH;
  byId('incident-examples-block').hidden = false;
  byId('incident-examples').textContent = inc.examples.length
    ? inc.examples.join('\n')
    : '(no example lines)';
}

export function fillMuteDialog(m: Mute): void {
  byId('incident-title').textContent = `muted · ${m.source}`;
  fill(byId('incident-facts'), muteFacts(m));
  byId('incident-reasons').textContent = DASH;
  byId('incident-examples-block').hidden = true;
  byId('incident-examples').textContent = '';
}

function onActivate(tr: HTMLElement, fn: () => void): void {
  tr.addEventListener('click', fn);
  tr.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      fn();
    }
  });
}

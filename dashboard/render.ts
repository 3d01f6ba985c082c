// Fills each panel from a stats document. Text goes in through dom.ts (textContent only).
import type { RecentAnomaly, StatsDoc } from '../core/stats/doc.js';
import { byId, el, fill, setText, table } from './dom.js';
import { clip, DASH, fmtBytes, fmtInt, fmtMs, fmtPct, fmtRate, fmtScore, fmtTime } from './format.js';
import { sourceLabel } from './source-view.js';

export function renderHeadline(doc: StatsDoc): void {
  setText('v-total', fmtInt(doc.total), doc.total);
  setText('v-anomalies', fmtInt(doc.anomalies), doc.anomalies);
  setText('v-rate', fmtPct(doc.anomaly_rate), doc.anomaly_rate);
  const s = doc.storage;
  setText('v-storage', fmtBytes(s.used_bytes), s.used_bytes ?? '');
  const disk = s.persisted_bytes !== null ? ` · ${fmtBytes(s.persisted_bytes)} on disk` : '';
  setText(
    'v-storage-sub',
    `${s.kind === 'redis' ? 'Redis memory' : s.kind === 'embedded' ? 'embedded store' : 'store'}${disk}`,
  );
  // A filtered view filters what is in the window; the all-time counts are kept for every source only.
  const f = doc.filter;
  const scope = f && (f.source || f.only) ? ' (this view) · total of all sources' : '';
  setText('v-total-sub', `${fmtInt(doc.in_window.events)} in window${scope}`);
  setText('v-anomalies-sub', `${fmtInt(doc.in_window.anomalies)} in window${scope}`);
  setText('v-rate-sub', `${fmtPct(doc.in_window.anomaly_rate)} in window`);
  setText(
    'throughput-sub',
    `avg ${fmtRate(doc.throughput.per_second)} events/s · ${fmtRate(doc.throughput.per_minute)}/min`,
  );
  const l = doc.latency;
  setText(
    'latency-sub',
    l.count
      ? `p50 ${fmtMs(l.p50_ms)} · p95 ${fmtMs(l.p95_ms)} · p99 ${fmtMs(l.p99_ms)} · ${fmtInt(l.count)} requests`
      : 'no latency samples in this window',
  );
}

export function renderEndpoints(doc: StatsDoc): void {
  const rows = doc.latency.endpoints.map((e) =>
    el(
      'tr',
      {},
      el('td', { class: 'mono wrap', title: e.endpoint }, e.endpoint),
      el('td', { class: 'num' }, fmtInt(e.count)),
      el('td', { class: 'num' }, fmtMs(e.p50_ms)),
      el('td', { class: 'num' }, fmtMs(e.p95_ms)),
      el('td', { class: 'num strong' }, fmtMs(e.p99_ms)),
      el('td', { class: e.errors ? 'num bad' : 'num' }, fmtInt(e.errors)),
    ),
  );
  fill(
    byId('endpoints'),
    table(
      ['Endpoint', 'Reqs', 'p50', 'p95', 'p99', '5xx'],
      rows,
      'No HTTP requests with a latency in this window.',
    ),
  );
}

/** Bars shown before the rest are folded behind a "+N more" toggle. */
const BARS_SHOWN = 12;

function bars(
  title: string,
  counts: Record<string, number>,
  empty: string,
  opts: { cls?: string; box?: string; label?: (k: string) => HTMLElement | string; more?: string } = {},
): HTMLElement {
  const cls = opts.cls ?? '';
  const entries = Object.entries(counts);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  // Shares of every entry, shown or folded.
  const sum = entries.reduce((s, [, n]) => s + n, 0) || 1;
  const item = ([k, n]: [string, number]) => {
    const bar = el('span', { class: `bar ${cls} ${cls ? `${cls}-${k}` : ''}` });
    bar.style.width = `${Math.max(2, (n / max) * 100)}%`;
    return el(
      'li',
      {},
      el('span', { class: 'bar-label', title: k }, opts.label ? opts.label(k) : k),
      el('span', { class: 'bar-track' }, bar),
      el('span', { class: 'bar-value' }, `${fmtInt(n)} · ${fmtPct(n / sum)}`),
    );
  };
  const shown = entries.slice(0, BARS_SHOWN);
  const rest = entries.slice(BARS_SHOWN);
  const list = entries.length
    ? el('ul', { class: 'bars' }, ...shown.map(item))
    : el('p', { class: 'empty' }, empty);
  const more = rest.length
    ? el(
        'details',
        { class: 'bars-more' },
        el(
          'summary',
          {},
          `+${rest.length} more ${opts.more ?? 'entries'} (${fmtInt(rest.reduce((s, [, n]) => s + n, 0))} events)`,
        ),
        el('ul', { class: 'bars' }, ...rest.map(item)),
      )
    : null;
  return el('div', { class: `breakdown ${opts.box ?? ''}` }, el('h3', {}, title), list, more);
}

export function renderBreakdown(doc: StatsDoc): void {
  fill(
    byId('breakdown'),
    bars('Level', doc.by_level, 'No events in this window.', { cls: 'lv' }),
    bars('Source', doc.by_source, 'No events in this window.', {
      box: 'src',
      label: (k) => sourceLabel(k, true),
      more: 'sources',
    }),
    bars('Status class', doc.by_status_class, 'No HTTP statuses in this window.', { cls: 'st' }),
  );
}

export function renderTemplates(doc: StatsDoc): void {
  const rows = doc.templates.map((t) =>
    el(
      'tr',
      {},
      el('td', { class: 'mono wrap', title: t.template }, clip(t.template, 200)),
      el('td', {}, sourceLabel(t.source)),
      el('td', { class: 'num' }, fmtInt(t.count)),
      el('td', { class: 'num' }, fmtPct(t.share)),
      el('td', { class: 'num nowrap' }, fmtTime(t.first_seen)),
      el('td', { class: 'num nowrap' }, fmtTime(t.last_seen)),
    ),
  );
  fill(
    byId('templates'),
    table(
      ['Template', 'Source', 'Count', 'Share', 'First seen', 'Last seen'],
      rows,
      'No templates in this window yet.',
      'templates',
    ),
    capNote(doc),
  );
}

/** The cap buckets are counts, not templates: said apart from the list, with the cap that was hit. */
function capNote(doc: StatsDoc): HTMLElement | null {
  const cap = doc.templates_beyond_cap ?? { batch: 0, hour: 0 };
  const parts: string[] = [];
  if (cap.batch > 0)
    parts.push(
      `${fmtInt(cap.batch)} events past the per-batch cap (stats keeps a batch's 100 busiest templates)`,
    );
  if (cap.hour > 0)
    parts.push(
      `${fmtInt(cap.hour)} events past the per-hour cap (templates new to an hour that already had about 1,000)`,
    );
  if (parts.length === 0) return null;
  return el(
    'p',
    { class: 'cap-note', id: 'templates-capped' },
    `Not listed by template: ${parts.join('; ')}.`,
  );
}

export function renderAnomalies(doc: StatsDoc, open: (a: RecentAnomaly) => void): void {
  const rows = doc.recent_anomalies.map((a) => {
    const tr = el(
      'tr',
      { class: 'clickable', tabindex: '0', title: 'Show the full event' },
      el('td', { class: 'nowrap' }, fmtTime(a.timestamp)),
      el('td', {}, sourceLabel(a.source)),
      el('td', { class: 'mono wrap message' }, clip(a.message)),
      el('td', { class: 'num strong' }, fmtScore(a.score)),
      el('td', {}, ...a.reasons.map((r) => el('span', { class: 'chip' }, r))),
    );
    tr.addEventListener('click', () => open(a));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        open(a);
      }
    });
    return tr;
  });
  fill(
    byId('anomalies'),
    table(
      ['Event time', 'Source', 'Message', 'Score', 'Reasons'],
      rows,
      'No anomalies detected yet.',
      'anomalies',
    ),
  );
}

interface ModelRow {
  source?: unknown;
  detector?: unknown;
  version?: unknown;
  trainedAt?: unknown;
  trainingSize?: unknown;
  threshold?: unknown;
  lastError?: unknown;
}

export function renderModel(doc: StatsDoc): void {
  const rows = (doc.model as ModelRow[]).map((m) =>
    el(
      'tr',
      {},
      el('td', {}, sourceLabel(String(m.source ?? DASH))),
      el(
        'td',
        { class: 'num' },
        el('span', { class: `pill ${m.detector === 'model' ? 'ok' : 'warn'}` }, String(m.detector ?? DASH)),
      ),
      el('td', { class: 'num' }, typeof m.version === 'number' && m.version > 0 ? `v${m.version}` : DASH),
      el('td', { class: 'num' }, m.trainedAt ? fmtTime(m.trainedAt) : 'not yet'),
      el('td', { class: 'num' }, fmtInt(m.trainingSize)),
      el('td', { class: 'num' }, fmtScore(m.threshold)),
    ),
  );
  fill(
    byId('model'),
    table(
      ['Source', 'Detector', 'Version', 'Trained', 'Training size', 'Threshold'],
      rows,
      'No model yet: detection uses rules until enough events arrive.',
    ),
  );
}

export function renderPipeline(doc: StatsDoc): void {
  const p = doc.pipeline;
  const status = {
    ok: ['ok', 'healthy'],
    unreachable: ['bad', 'broker unreachable'],
    unknown: ['muted', 'broker not configured'],
  }[p.status] ?? ['muted', p.status];
  const rows = p.queues.map((q) =>
    el(
      'tr',
      {},
      el('td', { class: 'mono wrap' }, q.name),
      el('td', { class: q.messages ? 'num strong' : 'num' }, fmtInt(q.messages)),
      // No consumer on a work queue means nothing drains it; the dead-letter queue is meant to sit still.
      el(
        'td',
        { class: q.consumers === 0 && !/dead-letter/.test(q.name) ? 'num bad' : 'num' },
        fmtInt(q.consumers),
      ),
    ),
  );
  fill(
    byId('pipeline'),
    el(
      'div',
      { class: 'pipeline-head' },
      el('span', { class: `pill ${status[0]}` }, status[1]),
      el(
        'span',
        { class: 'dead' },
        'Dead letters: ',
        el('strong', { id: 'v-dead', 'data-value': String(p.dead_lettered) }, fmtInt(p.dead_lettered)),
      ),
    ),
    table(
      ['Queue', 'Depth', 'Consumers'],
      rows,
      p.status === 'unknown' ? 'Queue depths appear when stats can reach the broker.' : 'No queues reported.',
    ),
  );
}

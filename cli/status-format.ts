// Renders the stats document (GET /function/stats) as a compact terminal summary. Pure; every field
// beyond `total` and `anomalies` is optional, so an older or newer stats function still prints.
import { fmtInt } from './progress.js';

type Doc = Record<string, unknown>;

const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const obj = (x: unknown): Doc | undefined =>
  x && typeof x === 'object' && !Array.isArray(x) ? (x as Doc) : undefined;
const arr = (x: unknown): Doc[] => (Array.isArray(x) ? (x.filter((e) => obj(e)) as Doc[]) : []);
const pct = (r: number | undefined) => (r === undefined ? '' : ` (${(r * 100).toFixed(2)}%)`);
const ms = (x: unknown) => (num(x) === undefined ? '-' : `${fmtInt(num(x)!)} ms`);
/** Control characters from log text must not drive the terminal. */
const clean = (s: unknown, max: number) => {
  const t = String(s ?? '').replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

function counts(x: unknown, limit = 6): string {
  const entries = Object.entries(obj(x) ?? {})
    .filter(([, v]) => num(v) !== undefined)
    .sort((a, b) => (b[1] as number) - (a[1] as number));
  if (!entries.length) return '-';
  const shown = entries.slice(0, limit).map(([k, v]) => `${clean(k, 30)} ${fmtInt(v as number)}`);
  return entries.length > limit ? `${shown.join('  ')}  (+${entries.length - limit} more)` : shown.join('  ');
}

function windowLabel(w: Doc | undefined): string {
  const m = num(w?.ms);
  if (m === undefined) return 'window';
  return m % 3_600_000 === 0 ? `last ${m / 3_600_000}h` : `last ${Math.round(m / 60_000)}m`;
}

export function formatStatus(doc: Doc, gatewayUrl: string): string {
  const out: string[] = [];
  const row = (k: string, v: string) => out.push(`${k.padEnd(12)}${v}`);
  const total = num(doc.total) ?? 0;
  out.push(
    `logfaas at ${gatewayUrl}${typeof doc.generated_at === 'string' ? `  (${doc.generated_at})` : ''}`,
  );
  const dl = num(doc.dead_lettered);
  row(
    'all time',
    `${fmtInt(total)} events  ${fmtInt(num(doc.anomalies) ?? 0)} anomalies${pct(num(doc.anomaly_rate))}${dl ? `  ${fmtInt(dl)} dead-lettered` : ''}`,
  );
  const iw = obj(doc.in_window);
  const tp = obj(doc.throughput);
  if (iw) {
    const rate = num(tp?.per_second);
    row(
      windowLabel(obj(doc.window)),
      `${fmtInt(num(iw.events) ?? 0)} events${rate === undefined ? '' : ` (${rate.toFixed(1)}/s)`}  ${fmtInt(num(iw.anomalies) ?? 0)} anomalies${pct(num(iw.anomaly_rate))}`,
    );
  }
  if (doc.by_source) row('by source', counts(doc.by_source));
  if (doc.by_level) row('by level', counts(doc.by_level));
  if (doc.by_status_class) row('by status', counts(doc.by_status_class));
  const lat = obj(doc.latency);
  if (lat && num(lat.count)) {
    row(
      'latency',
      `p50 ${ms(lat.p50_ms)}  p95 ${ms(lat.p95_ms)}  p99 ${ms(lat.p99_ms)}  (${fmtInt(num(lat.count)!)} samples)`,
    );
    for (const e of arr(lat.endpoints).slice(0, 3))
      row('  slowest', `${clean(e.endpoint, 40)}  p95 ${ms(e.p95_ms)}  p99 ${ms(e.p99_ms)}`);
  }
  const templates = arr(doc.templates).slice(0, 3);
  for (const [i, t] of templates.entries())
    row(
      i ? '' : 'templates',
      `${fmtInt(num(t.count) ?? 0).padStart(9)}  ${clean(t.source, 12)}  ${clean(t.template, 70)}`,
    );
  // Incidents first: the level an operator reads (a burst is one, not a page of lines).
  const incidents = arr(doc.incidents);
  const open = incidents.filter((x) => x.status === 'open').length;
  for (const [i, x] of incidents.slice(0, 5).entries())
    row(
      i ? '' : `incidents`,
      `${clean(x.status, 6).padEnd(6)}  ${clean(x.kind, 13).padEnd(13)}  ${clean(x.source, 12)}  ${fmtInt(num(x.count) ?? 0)} lines  ${clean(Array.isArray(x.reasons) ? x.reasons[0] : '', 70)}`,
    );
  if (incidents.length > 5)
    row('', `... ${fmtInt(incidents.length - 5)} more; ${fmtInt(open)} of ${fmtInt(incidents.length)} open`);
  const recent = arr(doc.recent_anomalies).slice(0, 5);
  for (const [i, a] of recent.entries()) {
    const score = num(a.score);
    row(
      i ? '' : 'anomalies',
      `${clean(a.timestamp, 24)}  ${clean(a.source, 10)}  ${score === undefined ? '' : score.toFixed(2)}  ${clean(a.message, 60)}`,
    );
  }
  const p = obj(doc.pipeline);
  if (p) {
    const queues = arr(p.queues)
      .map(
        (q) => `${clean(q.name, 40)} ${num(q.messages) ?? '?'} queued/${num(q.consumers) ?? '?'} consumers`,
      )
      .join('  ');
    row('pipeline', `${clean(p.status, 12)}${queues ? `  ${queues}` : ''}`);
  }
  return `${out.join('\n')}\n`;
}

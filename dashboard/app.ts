// Dashboard entry (bundled by build.mjs to app.js): polls stats through the gateway, same-origin and
// relative (so it works on :5000 and under /ui/), pauses in a hidden tab, backs off while the gateway is down.
import type { Mute } from '../core/mutes/mute.js';
import type { Incident, RecentAnomaly, StatsDoc } from '../core/stats/doc.js';
import { LatencyChart, ThroughputChart } from './charts.js';
import { byId } from './dom.js';
import { fmtTime } from './format.js';
import { fillIncidentDialog, fillMuteDialog, isMuted, renderIncidents } from './incidents.js';
import { setupMuteForm, showMuteForm } from './mute-form.js';
import {
  renderAnomalies,
  renderBreakdown,
  renderEndpoints,
  renderHeadline,
  renderModel,
  renderPipeline,
  renderTemplates,
} from './render.js';
import { setupSearch, showIncidentContext } from './search.js';
import { renderSimNote, renderSourceOptions } from './source-view.js';
import {
  filterOfValue,
  filterValue,
  readState,
  refreshMs,
  retryDelayMs,
  statsQuery,
  type ViewState,
  writeState,
} from './url-state.js';

let state: ViewState = readState(location.search);
let timer: ReturnType<typeof setTimeout> | undefined;
let failures = 0;
let inflight: AbortController | undefined;
const throughput = new ThroughputChart(byId<HTMLCanvasElement>('chart-throughput'));
const latency = new LatencyChart(byId<HTMLCanvasElement>('chart-latency'));
const windowSel = byId<HTMLSelectElement>('window');
const refreshSel = byId<HTMLSelectElement>('refresh');
const sourceSel = byId<HTMLSelectElement>('source');
const dialog = byId<HTMLDialogElement>('event-dialog');
const incidentDialog = byId<HTMLDialogElement>('incident-dialog');
/** Active mutes of the last document, so a dialog knows whether its template is muted. */
let mutes: Mute[] = [];

windowSel.value = state.window;
refreshSel.value = state.refresh;
sourceSel.value = filterValue(state);
windowSel.addEventListener('change', () => setState({ ...state, window: windowSel.value }));
refreshSel.addEventListener('change', () => setState({ ...state, refresh: refreshSel.value }));
sourceSel.addEventListener('change', () => setState({ ...state, ...filterOfValue(sourceSel.value) }));
byId('sim-note-real').addEventListener('click', () => setState({ ...state, source: '', only: 'real' }));
byId('event-close').addEventListener('click', () => dialog.close());
byId('incident-close').addEventListener('click', () => incidentDialog.close());
setupMuteForm(() => void poll());
setupSearch(() => incidentDialog.close());
document.addEventListener('visibilitychange', () => {
  if (document.hidden) stop();
  else void poll();
});

function setState(next: ViewState): void {
  state = next;
  history.replaceState(null, '', writeState(location.search, state));
  void poll();
}

function stop(): void {
  clearTimeout(timer);
  timer = undefined;
  setStatus(document.hidden ? 'paused (tab hidden)' : 'paused');
}

function schedule(ms: number | null): void {
  clearTimeout(timer);
  if (ms !== null && !document.hidden) timer = setTimeout(() => void poll(), ms);
}

async function poll(): Promise<void> {
  clearTimeout(timer);
  inflight?.abort();
  const ctl = new AbortController();
  inflight = ctl;
  const interval = refreshMs(state.refresh);
  try {
    const res = await fetch(`function/stats?${statsQuery(state)}`, {
      cache: 'no-store',
      headers: { accept: 'application/json' },
      signal: ctl.signal,
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const doc = (await res.json()) as StatsDoc;
    if (ctl.signal.aborted) return;
    failures = 0;
    render(doc);
    setBanner(null);
    setStatus(
      `updated ${fmtTime(Date.now())} · ${doc.took_ms} ms${interval === null ? ' · auto-refresh off' : ''}`,
    );
    schedule(interval);
  } catch (e) {
    if (ctl.signal.aborted) return;
    failures++;
    const delay = retryDelayMs(interval ?? 5000, failures);
    setBanner(
      `Cannot reach stats through the gateway (${e instanceof Error ? e.message : String(e)}). Showing the last data; retrying in ${Math.round(delay / 1000)} s.`,
    );
    setStatus('gateway unreachable');
    schedule(delay);
  }
}

function render(doc: StatsDoc): void {
  document.body.classList.remove('stale');
  renderSourceOptions(doc, state);
  renderSimNote(doc, state);
  renderHeadline(doc);
  mutes = Array.isArray(doc.mutes) ? doc.mutes : [];
  renderIncidents(doc, openIncident, openMute);
  const tp = throughput.update(doc);
  const lt = latency.update(doc);
  byId('throughput-empty').hidden = tp > 0;
  byId('latency-empty').hidden = lt > 0;
  renderEndpoints(doc);
  renderBreakdown(doc);
  renderTemplates(doc);
  renderAnomalies(doc, openEvent);
  renderModel(doc);
  renderPipeline(doc);
}

function openEvent(a: RecentAnomaly): void {
  byId('event-title').textContent = `${a.source} · score ${a.score.toFixed(2)} · ${a.detector}`;
  byId('event-reasons').textContent = a.reasons.join(', ') || '—';
  byId('event-json').textContent = JSON.stringify(a.result, null, 2);
  dialog.showModal();
}

function openIncident(inc: Incident): void {
  fillIncidentDialog(inc);
  showMuteForm({
    source: inc.source,
    templateId: inc.templateId,
    muted: !!isMuted(mutes, inc.source, inc.templateId),
  });
  byId('incident-context-block').hidden = false;
  showIncidentContext(inc);
  incidentDialog.showModal();
}

function openMute(m: Mute): void {
  fillMuteDialog(m);
  showMuteForm({ source: m.source, templateId: m.templateId, muted: true });
  byId('incident-context-block').hidden = true;
  incidentDialog.showModal();
}

function setBanner(text: string | null): void {
  const b = byId('banner');
  b.hidden = text === null;
  b.textContent = text ?? '';
  if (text !== null) document.body.classList.add('stale');
}

function setStatus(text: string): void {
  byId('status').textContent = text;
}

void poll();

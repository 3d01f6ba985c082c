// The source filter's options and the note that says when simulated data is in view. Simulated sources
// are named sim-* (core/simulated.ts); the stats document flags each source of the window.

import { isSimulatedSource } from '../core/simulated.js';
import type { StatsDoc } from '../core/stats/doc.js';
import { byId, el, fill } from './dom.js';
import { fmtInt } from './format.js';
import { filterValue, type ViewState } from './url-state.js';

/** A source name, with a badge when it is simulated (`sim` where space is short). */
export function sourceLabel(name: string, short = false): HTMLElement {
  return el(
    'span',
    { class: 'source-name' },
    name,
    isSimulatedSource(name)
      ? el('span', { class: 'badge sim', title: 'simulated by logfaas' }, short ? 'sim' : 'simulated')
      : null,
  );
}

/** Rebuilds the filter's options from the window's sources, keeping the current choice even if gone. */
export function renderSourceOptions(doc: StatsDoc, state: ViewState): void {
  const sel = byId<HTMLSelectElement>('source');
  const sources = [...(doc.sources ?? [])];
  if (state.source && !sources.some((s) => s.name === state.source))
    sources.push({ name: state.source, events: 0, simulated: isSimulatedSource(state.source) });
  fill(
    sel,
    el('option', { value: 'all' }, 'All sources'),
    el('option', { value: 'only:real' }, 'Real logs only'),
    el('option', { value: 'only:simulated' }, 'Simulated only'),
    ...sources.map((s) =>
      el(
        'option',
        { value: `source:${s.name}` },
        `${s.name}${s.simulated ? ' (simulated)' : ''} · ${fmtInt(s.events)}`,
      ),
    ),
  );
  sel.value = filterValue(state);
}

/**
 * Says when the view mixes simulated with real data, or holds only simulated data, so nobody reads the
 * synthetic load's slowest endpoint as their own.
 */
export function renderSimNote(doc: StatsDoc, state: ViewState): void {
  const sources = doc.sources ?? [];
  const sim = sources.filter((s) => s.simulated).map((s) => s.name);
  const real = sources.length - sim.length;
  const all = !state.source && !state.only;
  const note = byId('sim-note');
  note.hidden = !all || sim.length === 0;
  if (note.hidden) return;
  byId('sim-note-real').hidden = real === 0;
  byId('sim-note-text').textContent =
    real === 0
      ? `Everything here is simulated (${sim.join(', ')}): the synthetic load \`logfaas up\` runs every 30 s (\`logfaas up --no-simulate\` leaves it out).`
      : `This view mixes simulated data (${sim.join(', ')}) with your ${real === 1 ? 'source' : `${real} sources`}: latency and endpoints include both.`;
}

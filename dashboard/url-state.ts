// The view's shareable state (window, refresh interval and source filter) read from and written to the
// page URL. The filter uses the stats function's own parameters: `source=NAME` or `only=real|simulated`.

export const WINDOWS = ['1m', '5m', '15m', '1h', '6h', '24h'] as const;
export const REFRESHES = ['2s', '5s', '10s', '30s', '60s', 'off'] as const;
export const DEFAULT_WINDOW = '15m';
export const DEFAULT_REFRESH = '5s';

export const ONLY = ['real', 'simulated'] as const;

export interface ViewState {
  window: string;
  refresh: string;
  /** One source's name, or '' for none. */
  source: string;
  /** `real` or `simulated`, or '' for none; never set together with source. */
  only: string;
}

export function readState(search: string): ViewState {
  const p = new URLSearchParams(search);
  const w = p.get('window') ?? '';
  const r = p.get('refresh') ?? '';
  const only = p.get('only') ?? '';
  const validOnly = (ONLY as readonly string[]).includes(only) ? only : '';
  return {
    window: (WINDOWS as readonly string[]).includes(w) ? w : DEFAULT_WINDOW,
    refresh: (REFRESHES as readonly string[]).includes(r) ? r : DEFAULT_REFRESH,
    source: validOnly ? '' : (p.get('source') ?? '').slice(0, 200),
    only: validOnly,
  };
}

/** The query string for a state, keeping any other parameters the URL had. */
export function writeState(search: string, s: ViewState): string {
  const p = new URLSearchParams(search);
  p.set('window', s.window);
  p.set('refresh', s.refresh);
  p.delete('source');
  p.delete('only');
  if (s.only) p.set('only', s.only);
  else if (s.source) p.set('source', s.source);
  return `?${p.toString()}`;
}

/** The stats query for a state: window and filter. */
export function statsQuery(s: ViewState): string {
  const q = new URLSearchParams({ window: s.window });
  if (s.only) q.set('only', s.only);
  else if (s.source) q.set('source', s.source);
  return q.toString();
}

/** The filter select's value for a state (`all`, `only:real`, `source:NAME`), and back. */
export function filterValue(s: Pick<ViewState, 'source' | 'only'>): string {
  return s.only ? `only:${s.only}` : s.source ? `source:${s.source}` : 'all';
}

export function filterOfValue(v: string): Pick<ViewState, 'source' | 'only'> {
  if (v.startsWith('only:')) return { source: '', only: v.slice(5) };
  if (v.startsWith('source:')) return { source: v.slice(7), only: '' };
  return { source: '', only: '' };
}

/** Refresh interval in ms, or null when polling is off. */
export function refreshMs(r: string): number | null {
  const m = /^(\d+)s$/.exec(r);
  return m ? Number(m[1]) * 1000 : null;
}

/** Delay before the next try after `failures` consecutive failures: the interval, doubling, capped at 30 s. */
export function retryDelayMs(intervalMs: number, failures: number): number {
  return Math.min(30_000, Math.max(1000, intervalMs) * 2 ** Math.max(0, failures - 1));
}

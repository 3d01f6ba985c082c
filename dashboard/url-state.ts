// The view's shareable state (window and refresh interval) read from and written to the page URL.

export const WINDOWS = ['1m', '5m', '15m', '1h', '6h', '24h'] as const;
export const REFRESHES = ['2s', '5s', '10s', '30s', '60s', 'off'] as const;
export const DEFAULT_WINDOW = '15m';
export const DEFAULT_REFRESH = '5s';

export interface ViewState {
  window: string;
  refresh: string;
}

export function readState(search: string): ViewState {
  const p = new URLSearchParams(search);
  const w = p.get('window') ?? '';
  const r = p.get('refresh') ?? '';
  return {
    window: (WINDOWS as readonly string[]).includes(w) ? w : DEFAULT_WINDOW,
    refresh: (REFRESHES as readonly string[]).includes(r) ? r : DEFAULT_REFRESH,
  };
}

/** The query string for a state, keeping any other parameters the URL had. */
export function writeState(search: string, s: ViewState): string {
  const p = new URLSearchParams(search);
  p.set('window', s.window);
  p.set('refresh', s.refresh);
  return `?${p.toString()}`;
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

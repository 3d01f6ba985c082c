// Turns event fields into bounded stats labels: `METHOD /path` endpoints (core/endpoint.ts: ids masked,
// so /users/123 and /users/456 merge), status classes, and length-capped source names.
import { endpointOf as normalizedEndpoint, normalizePath } from '../endpoint.js';
import type { LogEvent } from '../event.js';

export { normalizePath };

/** Longest label kept; longer ones are cut so one odd line cannot bloat a hash field name. */
export const MAX_LABEL_CHARS = 80;
/** Separator used inside hash field names; stripped from labels. */
export const SEP = '|';

export function cleanLabel(s: string): string {
  const t = s.replace(/[|\u0000-\u001f\u007f]/g, ' ').trim();
  return (t.length > MAX_LABEL_CHARS ? t.slice(0, MAX_LABEL_CHARS) : t) || '(none)';
}

/** `GET /users/:id` (core/endpoint.ts, the one normaliser), or null when the event is not an HTTP request. */
export function endpointOf(e: LogEvent): string | null {
  const h = e.http;
  if (!h) return null;
  return normalizedEndpoint(h.method, h.path) ?? null;
}

/** `2xx`..`5xx`, `other` for out-of-range codes, null when there is no status. */
export function statusClassOf(e: LogEvent): string | null {
  const s = e.http?.status;
  if (s === undefined || !Number.isFinite(s)) return null;
  // The five class names made once (this runs per event; a new string each time was garbage to collect).
  return s >= 100 && s < 600 ? STATUS_CLASSES[Math.floor(s / 100)] : 'other';
}

const STATUS_CLASSES = ['', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** Latency in ms when the event carries a usable one. */
export function latencyOf(e: LogEvent): number | null {
  const l = e.http?.latency_ms;
  return typeof l === 'number' && Number.isFinite(l) && l >= 0 ? l : null;
}

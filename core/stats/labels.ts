// Turns event fields into bounded stats labels: `METHOD /path` endpoints with ids masked (so
// /users/123 and /users/456 merge), status classes, and length-capped source names.
import type { LogEvent } from '../event.js';

/** Longest label kept; longer ones are cut so one odd line cannot bloat a hash field name. */
export const MAX_LABEL_CHARS = 80;
/** Path segments kept; deeper paths end in `/...`. */
export const MAX_PATH_SEGMENTS = 6;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER = /^[-+]?\d+([.,]\d+)?$/;
const HEX_ID = /^(?=.*\d)[0-9a-f]{8,}$/i;
// Long tokens mixing letters and digits (base64 ids, hashes, session tokens).
const OPAQUE_ID = /^(?=.*\d)(?=.*[a-z])[\w~=-]{16,}$/i;

/** Separator used inside hash field names; stripped from labels. */
export const SEP = '|';

export function cleanLabel(s: string): string {
  const t = s.replace(/[|\u0000-\u001f\u007f]/g, ' ').trim();
  return (t.length > MAX_LABEL_CHARS ? t.slice(0, MAX_LABEL_CHARS) : t) || '(none)';
}

export function normalizePath(path: string): string {
  const bare = path.split(/[?#]/, 1)[0] ?? '';
  const segs = bare.split('/').filter((s) => s !== '');
  const masked = segs.slice(0, MAX_PATH_SEGMENTS).map((s) => {
    let d = s;
    try {
      d = decodeURIComponent(s);
    } catch {
      // keep the raw segment
    }
    if (NUMBER.test(d) || UUID.test(d) || HEX_ID.test(d) || OPAQUE_ID.test(d)) return ':id';
    return s;
  });
  if (segs.length > MAX_PATH_SEGMENTS) masked.push('...');
  return `/${masked.join('/')}`;
}

/** `GET /users/:id`, or null when the event is not an HTTP request. */
export function endpointOf(e: LogEvent): string | null {
  const h = e.http;
  if (!h || (h.path === undefined && h.method === undefined)) return null;
  const method = (h.method ?? 'ANY').toUpperCase().slice(0, 10);
  return cleanLabel(`${method} ${normalizePath(h.path ?? '/')}`);
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

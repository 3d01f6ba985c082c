// The one endpoint normaliser: `GET /users/123?x=1` -> `GET /users/:id`. An endpoint is the route, not
// the resource, so ids are masked; detect-anomaly's per-endpoint baselines and the stats labels use it alike.

/** Path segments kept; deeper paths end in `/...` (one odd deep URL cannot make a new route per depth). */
export const MAX_PATH_SEGMENTS = 6;
/** Longest endpoint kept; longer ones are cut so one odd line cannot bloat a hash field name. */
export const MAX_ENDPOINT_CHARS = 80;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER = /^[-+]?\d+(?:[.,]\d+)?$/;
// 8+ hex characters: commit hashes, object ids, `deadbeef`; shorter all-letter words (`cafe`, `added`) stay.
const HEX_ID = /^[0-9a-f]{8,}$/i;
// Long tokens mixing letters and digits (base64 ids, session tokens); a word with a digit (`err500`, `v2`) stays.
const OPAQUE_ID = /^(?=.*\d)(?=.*[a-z])[\w~=.-]{16,}$/i;

/** Whether one path segment (already URL-decoded) is an id. */
export function isIdSegment(s: string): boolean {
  if (s.length === 0) return false;
  const c = s.charCodeAt(0);
  // Most segments are words: a letter outside a-f that starts a short segment rules every form out.
  if (s.length < 8 && !(c >= 48 && c <= 57) && c !== 43 && c !== 45) return false;
  return NUMBER.test(s) || UUID.test(s) || HEX_ID.test(s) || OPAQUE_ID.test(s);
}

/** `/users/123/` -> `/users/:id`: query and fragment dropped, empty segments dropped, ids masked. */
export function normalizePath(path: string): string {
  let end = path.length;
  const q = path.indexOf('?');
  if (q >= 0) end = q;
  const h = path.indexOf('#');
  if (h >= 0 && h < end) end = h;
  const segs = path.slice(0, end).split('/');
  let out = '';
  let kept = 0;
  for (const s of segs) {
    if (s === '') continue;
    if (kept === MAX_PATH_SEGMENTS) {
      out += '/...';
      break;
    }
    kept++;
    let d = s;
    if (s.includes('%')) {
      try {
        d = decodeURIComponent(s);
      } catch {
        // keep the raw segment
      }
    }
    out += isIdSegment(d) ? '/:id' : `/${s}`;
  }
  return out || '/';
}

/**
 * `METHOD /route` of an HTTP event, or undefined when it has neither method nor path. The method is
 * upper-cased (`ANY` when missing); `|` and control characters are replaced (the result names hash fields).
 */
export function endpointOf(method: string | undefined, path: string | undefined): string | undefined {
  if (path === undefined && method === undefined) return undefined;
  const m = (method ?? 'ANY').toUpperCase().slice(0, 10);
  const ep = `${m} ${normalizePath(path ?? '/')}`.replace(/[|\u0000-\u001f\u007f]/g, ' ');
  return ep.length > MAX_ENDPOINT_CHARS ? ep.slice(0, MAX_ENDPOINT_CHARS) : ep;
}

// search: GET ?q=&source=&level=&template=&from=&to=&limit=&cursor= (JSON with a cursor, or NDJSON),
// and GET ?incident=ID&context=N (the lines around an incident). Log content: admin credentials only.
import {
  BadRequestError,
  HttpError,
  jsonResponse,
  MethodNotAllowedError,
  NotFoundError,
  toErrorResponse,
  UnauthorizedError,
} from '../../core/errors.js';
import { LEVELS } from '../../core/event.js';
import { parseEventTime } from '../../core/event-time.js';
import { keepStringPrototypeFast } from '../../core/fast-strings.js';
import { AUTH_MESSAGES, basicAuthProblem } from '../../core/http/basic-auth.js';
import { DEFAULT_INCIDENT_QUIET_MS, readIncidents } from '../../core/incident.js';
import type { KV } from '../../core/kv/types.js';
import { decodeCursor, type SearchQuery, shownHit } from '../../core/search/query.js';
import type { SearchConfig } from './config.js';
import { incidentContext } from './context.js';
import { runSearch } from './run.js';

export interface SearchDeps {
  kv: KV;
  config: Pick<SearchConfig, 'searchStore' | 'maxScanBytes' | 'bucketMs' | 'admin'>;
  now?: () => number;
}

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;
export const MAX_CONTEXT = 500;
export const DEFAULT_CONTEXT = 50;
const NO_STORE = { 'cache-control': 'no-store' };

/** A hit as answered: the event time in ISO 8601, as incidents and events give it. */

export function createSearchHandler(deps: SearchDeps): (req: Request) => Promise<Response> {
  const now = deps.now ?? Date.now;
  const cfg = deps.config;
  return async (req) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new MethodNotAllowedError('search answers GET');
      authenticate(req, cfg);
      keepStringPrototypeFast();
      const url = new URL(req.url);
      const p = url.searchParams;
      const t = now();
      const incident = p.get('incident');
      if (incident !== null) {
        if (!/^[0-9a-f]{1,32}$/.test(incident))
          throw new BadRequestError('incident must be an incident id (hex)', { incident });
        const n = intParam(p, 'context', DEFAULT_CONTEXT, 0, MAX_CONTEXT);
        const inc = (await readIncidents(deps.kv, { now: t, quietMs: DEFAULT_INCIDENT_QUIET_MS })).find(
          (x) => x.id === incident,
        );
        if (!inc)
          throw new NotFoundError(`no incident ${incident} (it may have aged out of the closed list)`);
        const ctx = await incidentContext(deps.kv, inc, {
          n,
          now: t,
          retentionMs: cfg.searchStore.retentionMs,
          bucketMs: cfg.bucketMs,
        });
        return jsonResponse({ incident: inc, ...ctx, lines: ctx.lines.map(shownHit) }, 200, NO_STORE);
      }
      const q = parseQuery(p);
      const cursorText = p.get('cursor');
      const cursor = cursorText ? decodeCursor(cursorText) : undefined;
      if (cursorText && !cursor) throw new BadRequestError('cursor is not one this endpoint gave');
      const r = await runSearch(deps.kv, q, {
        cursor,
        now: t,
        retentionMs: cfg.searchStore.retentionMs,
        maxScanBytes: cfg.maxScanBytes,
      });
      const ndjson =
        p.get('format') === 'ndjson' || (req.headers.get('accept') ?? '').includes('application/x-ndjson');
      if (ndjson) {
        const body = r.hits.map((h) => `${JSON.stringify(shownHit(h))}\n`).join('');
        return new Response(req.method === 'HEAD' ? null : body, {
          status: 200,
          headers: {
            'content-type': 'application/x-ndjson; charset=utf-8',
            ...NO_STORE,
            ...(r.nextCursor ? { 'x-next-cursor': r.nextCursor } : {}),
          },
        });
      }
      const res = jsonResponse(
        { hits: r.hits.map(shownHit), next_cursor: r.nextCursor, scanned: r.scanned },
        200,
        NO_STORE,
      );
      return req.method === 'HEAD' ? new Response(null, { status: 200, headers: res.headers }) : res;
    } catch (e) {
      const res = toErrorResponse(e);
      if (res.status === 401) res.headers.set('www-authenticate', 'Basic realm="logfaas"');
      return res;
    }
  };
}

function authenticate(req: Request, cfg: SearchDeps['config']): void {
  if (!cfg.admin)
    throw new HttpError(
      503,
      'search_disabled',
      'search returns log content and needs the admin password here: secret basic-auth-password or LOGFAAS_ADMIN_PASSWORD',
    );
  const problem = basicAuthProblem(req.headers.get('authorization'), cfg.admin);
  if (problem)
    throw new UnauthorizedError(
      `search returns log content: it needs the gateway admin credentials (basic auth): ${AUTH_MESSAGES[problem]}`,
      { reason: problem },
    );
}

function intParam(p: URLSearchParams, name: string, def: number, min: number, max: number): number {
  const v = p.get(name);
  if (v === null || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new BadRequestError(`${name} must be an integer in [${min}, ${max}]`, { [name]: v });
  return n;
}

/** from/to: epoch ms or ISO 8601. */
function timeParam(p: URLSearchParams, name: string): number | undefined {
  const v = p.get(name);
  if (v === null || v === '') return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : parseEventTime(v);
  if (!Number.isFinite(n)) throw new BadRequestError(`${name} must be epoch ms or ISO 8601`, { [name]: v });
  return n;
}

export function parseQuery(p: URLSearchParams): SearchQuery {
  const text = p.get('q') ?? '';
  if (text.length > 1000) throw new BadRequestError('q is at most 1,000 characters');
  const levels = (p.get('level') ?? '')
    .split(',')
    .map((l) => l.trim().toLowerCase())
    .filter(Boolean);
  const bad = levels.filter((l) => !(LEVELS as readonly string[]).includes(l));
  if (bad.length) throw new BadRequestError(`level must be among ${LEVELS.join(', ')}`, { level: bad });
  const from = timeParam(p, 'from');
  const to = timeParam(p, 'to');
  if (from !== undefined && to !== undefined && from > to) throw new BadRequestError('from is after to');
  return {
    ...(text ? { q: text } : {}),
    ...(p.get('source') ? { source: p.get('source')! } : {}),
    ...(levels.length ? { levels } : {}),
    ...(p.get('template') ? { template: p.get('template')! } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    limit: intParam(p, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT),
  };
}

// The search panel and an incident's context lines, through the search function (same-origin, with the
// gateway admin credentials: it returns log content). Log text only ever goes in through textContent.
import type { Incident } from '../core/incident.js';
import type { ShownHit } from '../core/search/query.js';
import { credentials, forgetCredentials, hasCredentials, setCredentials } from './credentials.js';
import { byId, el, fill, table } from './dom.js';
import { fmtTime } from './format.js';

type Line = ShownHit;

let nextCursor: string | null = null;
let lastQuery = '';
let shown: Line[] = [];
let contextOf: Incident | undefined;

/** Wires the search form and the incident dialog's context section once. */
export function setupSearch(onSearchSource: () => void): void {
  byId<HTMLFormElement>('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void search(false);
  });
  byId('search-more').addEventListener('click', () => void search(true));
  byId('context-load').addEventListener('click', () => {
    if (contextOf) void loadContext(contextOf);
  });
  byId('context-search').addEventListener('click', () => {
    if (!contextOf) return;
    byId<HTMLInputElement>('search-source').value = contextOf.source;
    byId<HTMLInputElement>('search-q').value = '';
    onSearchSource();
    byId('search-panel').scrollIntoView();
    void search(false);
  });
}

/** The dialog's context section for an incident: loaded at once when the page has credentials. */
export function showIncidentContext(inc: Incident): void {
  contextOf = inc;
  fill(byId('incident-context'));
  byId('context-auth').hidden = hasCredentials();
  setStatus('context-status', '', '');
  if (hasCredentials()) void loadContext(inc);
}

/** Reads the password fields of a form part when the page has no credentials yet; false if missing. */
function ensureCredentials(userId: string, passwordId: string, statusId: string): boolean {
  if (hasCredentials()) return true;
  const user = byId<HTMLInputElement>(userId).value.trim() || 'admin';
  const password = byId<HTMLInputElement>(passwordId).value;
  if (!password) {
    setStatus(statusId, 'bad', 'Enter the gateway admin password (search returns log content).');
    return false;
  }
  setCredentials(user, password);
  byId<HTMLInputElement>(passwordId).value = '';
  return true;
}

async function get(query: URLSearchParams, statusId: string, authId: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`function/search?${query}`, {
      cache: 'no-store',
      headers: { authorization: credentials() ?? '', accept: 'application/json' },
    });
  } catch (e) {
    setStatus(statusId, 'bad', `Cannot reach search: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  if (res.status === 401) {
    forgetCredentials();
    byId(authId).hidden = false;
    setStatus(statusId, 'bad', 'Wrong user or password (the gateway admin credentials).');
    return undefined;
  }
  const body = (await res.json().catch(() => null)) as { error?: unknown } | null;
  if (!res.ok) {
    setStatus(
      statusId,
      'bad',
      `Refused (${res.status}): ${typeof body?.error === 'string' ? body.error : res.statusText}`,
    );
    return undefined;
  }
  byId(authId).hidden = true;
  return body;
}

async function loadContext(inc: Incident): Promise<void> {
  if (!ensureCredentials('context-user', 'context-password', 'context-status')) return;
  setStatus('context-status', '', 'Loading the lines around it…');
  const r = (await get(
    new URLSearchParams({ incident: inc.id, context: '50' }),
    'context-status',
    'context-auth',
  )) as { lines: Line[]; omitted: number; kept: boolean } | undefined;
  if (!r || contextOf !== inc) return;
  fill(
    byId('incident-context'),
    ...r.lines.map((l) =>
      el(
        'li',
        { class: l.anomalous ? 'anomalous' : '', title: `${l.level} · ${l.templateId}` },
        el('span', { class: 'ts' }, fmtTime(l.ts)),
        el('span', { class: 'raw' }, l.raw),
      ),
    ),
  );
  // The incident's first line in view, its context above and below.
  byId('incident-context').querySelector('.anomalous')?.scrollIntoView({ block: 'center' });
  const marked = r.lines.filter((l) => l.anomalous).length;
  setStatus(
    'context-status',
    'ok',
    r.lines.length === 0
      ? 'No kept lines around it (older than the retention, or its source is not kept).'
      : `${r.lines.length} lines, ${marked} of them the incident's (marked)${r.omitted ? `; ${r.omitted} more of its lines left out` : ''}${r.kept ? '' : '; its own lines are no longer kept'}.`,
  );
}

async function search(more: boolean): Promise<void> {
  if (!ensureCredentials('search-user', 'search-password', 'search-status')) return;
  const q = new URLSearchParams();
  const text = byId<HTMLInputElement>('search-q').value;
  const source = byId<HTMLInputElement>('search-source').value.trim();
  const level = byId<HTMLSelectElement>('search-level').value;
  if (text) q.set('q', text);
  if (source) q.set('source', source);
  if (level) q.set('level', level);
  q.set('limit', '100');
  const key = q.toString();
  if (more && nextCursor && key === lastQuery) q.set('cursor', nextCursor);
  else {
    more = false;
    shown = [];
  }
  setStatus('search-status', '', 'Searching…');
  const r = (await get(q, 'search-status', 'search-auth')) as
    | { hits: Line[]; next_cursor: string | null }
    | undefined;
  if (!r) return;
  lastQuery = key;
  nextCursor = r.next_cursor;
  shown = more ? [...shown, ...r.hits] : r.hits;
  fill(
    byId('search-results'),
    table(
      ['Time', 'Source', 'Level', 'Line'],
      shown.map((l) =>
        el(
          'tr',
          { title: l.templateId },
          el('td', { class: 'num nowrap' }, fmtTime(l.ts)),
          el('td', {}, l.source),
          el('td', {}, l.level),
          el('td', { class: 'mono wrap message' }, l.raw),
        ),
      ),
      'No kept line matches.',
      'search-hits',
    ),
  );
  byId('search-more').hidden = !nextCursor;
  setStatus(
    'search-status',
    'ok',
    `${shown.length} line(s)${nextCursor ? '; more older ones: Load more' : ''}.`,
  );
}

function setStatus(id: string, cls: '' | 'ok' | 'bad', text: string): void {
  const s = byId(id);
  s.className = cls;
  s.textContent = text;
}

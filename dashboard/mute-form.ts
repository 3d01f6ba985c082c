// The mute form of the incident dialog: mute or unmute one (source, template) through stats' /mutes,
// same-origin, with the gateway admin credentials (asked once, kept in this page's memory only).
import { credentials, forgetCredentials, hasCredentials, setCredentials } from './credentials.js';
import { byId } from './dom.js';

export interface MuteTarget {
  source: string;
  templateId?: string;
  /** Whether it is muted now (the Unmute button shows). */
  muted: boolean;
}

let target: MuteTarget | undefined;

/** Wires the form once; `changed` runs after a successful mute or unmute (to refresh the page's data). */
export function setupMuteForm(changed: () => void): void {
  byId<HTMLFormElement>('mute-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void send('POST', changed);
  });
  byId('unmute-submit').addEventListener('click', () => void send('DELETE', changed));
}

/** Shows the form for `t` (hidden when there is no template to mute). */
export function showMuteForm(t: MuteTarget): void {
  target = t;
  const form = byId<HTMLFormElement>('mute-form');
  form.hidden = t.templateId === undefined;
  byId('mute-submit').textContent = t.muted ? 'Mute again' : 'Mute';
  byId('unmute-submit').hidden = !t.muted;
  byId('mute-auth').hidden = hasCredentials();
  setStatus('', '');
}

async function send(method: 'POST' | 'DELETE', changed: () => void): Promise<void> {
  const t = target;
  if (!t?.templateId) return;
  if (!hasCredentials()) {
    const user = byId<HTMLInputElement>('mute-user').value.trim() || 'admin';
    const password = byId<HTMLInputElement>('mute-password').value;
    if (!password) {
      setStatus('bad', 'Enter the gateway admin password.');
      return;
    }
    setCredentials(user, password);
  }
  const forMs = Number(byId<HTMLSelectElement>('mute-for').value) || undefined;
  const reason = byId<HTMLInputElement>('mute-reason').value.trim() || undefined;
  const by = byId<HTMLInputElement>('mute-user').value.trim() || undefined;
  const q = new URLSearchParams({ source: t.source, templateId: t.templateId });
  setStatus('', method === 'POST' ? 'Muting…' : 'Unmuting…');
  let res: Response;
  try {
    res = await fetch(method === 'POST' ? 'function/stats/mutes' : `function/stats/mutes?${q}`, {
      method,
      cache: 'no-store',
      headers: {
        authorization: credentials() ?? '',
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body:
        method === 'POST'
          ? JSON.stringify({ source: t.source, templateId: t.templateId, forMs, reason, by })
          : undefined,
    });
  } catch (e) {
    setStatus('bad', `Cannot reach stats: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  if (res.status === 401) {
    forgetCredentials();
    byId('mute-auth').hidden = false;
    setStatus('bad', 'Wrong user or password (the gateway admin credentials).');
    return;
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: unknown } | null;
    setStatus(
      'bad',
      `Refused (${res.status}): ${typeof body?.error === 'string' ? body.error : res.statusText}`,
    );
    return;
  }
  byId<HTMLInputElement>('mute-password').value = '';
  byId('mute-auth').hidden = true;
  const muted = method === 'POST';
  target = { ...t, muted };
  byId('mute-submit').textContent = muted ? 'Mute again' : 'Mute';
  byId('unmute-submit').hidden = !muted;
  setStatus(
    'ok',
    muted
      ? 'Muted: detect-anomaly stops reporting this template within seconds; its events are still counted.'
      : 'Unmuted: this template is reported again.',
  );
  changed();
}

function setStatus(cls: '' | 'ok' | 'bad', text: string): void {
  const s = byId('mute-status');
  s.className = cls;
  s.textContent = text;
}

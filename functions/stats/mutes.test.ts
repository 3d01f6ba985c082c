// The mutes route of the stats function: public list, authenticated writes, clear JSON errors.
import { afterEach, describe, expect, it } from 'vitest';
import { basicAuthHeader } from '../../core/http/basic-auth.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV } from '../../core/kv/types.js';
import { Secret } from '../../core/secrets.js';
import type { StatsDoc } from '../../core/stats/doc.js';
import { loadStatsConfig } from './config.js';
import { createStatsHandler } from './handler.js';

const NOW = Date.UTC(2026, 11, 7, 12);
const AUTH = basicAuthHeader('admin', 'pw');
const kvs: KV[] = [];
afterEach(async () => {
  for (const kv of kvs.splice(0)) await kv.close();
});

async function handler(env: Record<string, string> = { LOGFAAS_ADMIN_PASSWORD: 'pw' }) {
  const kv = await createMemoryKv({ now: () => NOW });
  kvs.push(kv);
  const config = loadStatsConfig({ SECRETS_DIR: '/nonexistent', ...env });
  return createStatsHandler({ kv, config, now: () => NOW });
}

const call = (
  h: (r: Request) => Promise<Response>,
  method: string,
  o: { path?: string; body?: unknown; auth?: string } = {},
) =>
  h(
    new Request(`http://x${o.path ?? '/mutes'}`, {
      method,
      headers: { 'content-type': 'application/json', ...(o.auth ? { authorization: o.auth } : {}) },
      body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
    }),
  );

describe('stats /mutes', () => {
  it('adds, lists (also in the stats document), replaces and removes with the admin credentials', async () => {
    const h = await handler();
    const add = await call(h, 'POST', {
      body: { source: 'web', templateId: 't1', forMs: 3_600_000, reason: 'known noise' },
      auth: AUTH,
    });
    expect(add.status).toBe(201);
    const mute = {
      source: 'web',
      templateId: 't1',
      at: NOW,
      until: NOW + 3_600_000,
      reason: 'known noise',
      by: 'admin',
    };
    expect(await add.json()).toEqual({ mute, replaced: false });
    expect(await (await call(h, 'GET')).json()).toEqual({ mutes: [mute] });
    // As the gateway forwards it and as called directly.
    expect((await call(h, 'GET', { path: '/function/stats/mutes' })).status).toBe(200);
    const doc = (await (await call(h, 'GET', { path: '/function/stats' })).json()) as StatsDoc;
    expect(doc.mutes).toEqual([mute]);
    expect(doc.incidents).toEqual([]);
    const again = await call(h, 'POST', { body: { source: 'web', templateId: 't1', by: 'ana' }, auth: AUTH });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { mute: unknown }).mute).toEqual({
      source: 'web',
      templateId: 't1',
      at: NOW,
      by: 'ana',
    });
    const del = await call(h, 'DELETE', { path: '/mutes?source=web&templateId=t1', auth: AUTH });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ removed: { source: 'web', templateId: 't1' } });
    expect(await (await call(h, 'GET')).json()).toEqual({ mutes: [] });
  });

  it.each([
    ['POST', { body: { source: 'web', templateId: 't1' } }, 401, /admin credentials/],
    [
      'POST',
      { body: { source: 'web', templateId: 't1' }, auth: basicAuthHeader('admin', 'nope') },
      401,
      /basic auth/,
    ],
    ['DELETE', { path: '/mutes?source=web&templateId=t1' }, 401, /admin credentials/],
    ['POST', { body: 'not json', auth: AUTH }, 400, /body must be JSON/],
    ['POST', { body: { source: 'web' }, auth: AUTH }, 400, /templateId must be a non-empty string/],
    ['POST', { body: { source: 'web', templateId: 't1', forMs: 5 }, auth: AUTH }, 400, /forMs/],
    ['DELETE', { path: '/mutes?source=web', auth: AUTH }, 400, /needs \?source=/],
    ['DELETE', { path: '/mutes?source=web&templateId=t9', auth: AUTH }, 404, /is not muted/],
    ['PUT', { auth: AUTH }, 405, /GET, POST \(add\) and DELETE/],
  ] as const)('%s %j -> %i', async (method, o, status, msg) => {
    const res = await call(await handler(), method, o);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/json/);
    expect(((await res.json()) as { error: string }).error).toMatch(msg);
    if (status === 405) expect(res.headers.get('allow')).toBe('GET, HEAD, POST, DELETE');
  });

  it('refuses writes with 503 when no admin password is configured; reading still works', async () => {
    const h = await handler({});
    const res = await call(h, 'POST', { body: { source: 'web', templateId: 't1' }, auth: AUTH });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /basic-auth-password or LOGFAAS_ADMIN_PASSWORD/,
    );
    expect((await call(h, 'GET')).status).toBe(200);
  });

  it('never answers a cross-origin write preflight with POST or DELETE', async () => {
    const res = await call(await handler(), 'OPTIONS');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
  });

  it('keeps the password out of the config when printed', () => {
    const cfg = loadStatsConfig({ SECRETS_DIR: '/nonexistent', LOGFAAS_ADMIN_PASSWORD: 'pw' });
    expect(cfg.admin?.password).toBeInstanceOf(Secret);
    expect(JSON.stringify(cfg)).not.toContain('"pw"');
  });
});

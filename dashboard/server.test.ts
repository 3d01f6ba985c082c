import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSP, createDashboardHandler } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'dash-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
writeFileSync(join(dir, 'app.js'), 'console.log(1)');
writeFileSync(join(dir, '.secret.js'), 'no');

const seen: string[] = [];
const fakeFetch = (async (url: string | URL | Request) => {
  seen.push(String(url));
  if (String(url).includes('down')) throw new Error('ECONNREFUSED');
  return new Response('{"total":1}', { headers: { 'content-type': 'application/json' } });
}) as typeof fetch;
const h = createDashboardHandler({ assetsDir: dir, gatewayUrl: 'http://gw:8080/', fetch: fakeFetch });
const get = (path: string, method = 'GET') => h(new Request(`http://dash${path}`, { method }));

describe('dashboard server', () => {
  it('serves index.html at / with the strict CSP', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(CSP).not.toMatch(/unsafe|https?:/);
    expect((await get('/app.js')).headers.get('content-type')).toContain('javascript');
  });

  it.each(['/../package.json', '/%2e%2e/package.json', '/.secret.js', '/missing.js', '/dir/app.js', '/x.ts'])(
    'refuses %s with 404',
    async (p) => {
      expect((await get(p)).status).toBe(404);
    },
  );

  it('proxies GET /function/stats with its query to the gateway, uncached', async () => {
    const res = await get('/function/stats?window=1h');
    expect(await res.json()).toEqual({ total: 1 });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(seen.at(-1)).toBe('http://gw:8080/function/stats?window=1h');
    expect((await get('/function/stats', 'POST')).status).toBe(405);
  });

  it('proxies the mutes (GET, POST with its body, DELETE) with the authorization header, nothing else', async () => {
    const calls: { url: string; method?: string; auth: string | null; body: string }[] = [];
    const record = (async (url: string | URL | Request, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      const body = init?.body ? new TextDecoder().decode(init.body as ArrayBuffer) : '';
      calls.push({ url: String(url), method: init?.method, auth: headers.get('authorization'), body });
      return new Response('{"mutes":[]}', { status: 201, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const m = createDashboardHandler({ assetsDir: dir, gatewayUrl: 'http://gw:8080', fetch: record });
    const res = await m(
      new Request('http://dash/function/stats/mutes', {
        method: 'POST',
        headers: { authorization: 'Basic eDp5', cookie: 'c=1', 'content-type': 'application/json' },
        body: '{"source":"web","templateId":"t1"}',
      }),
    );
    expect(res.status).toBe(201);
    await m(new Request('http://dash/function/stats/mutes?source=web&templateId=t1', { method: 'DELETE' }));
    expect(calls).toEqual([
      {
        url: 'http://gw:8080/function/stats/mutes',
        method: 'POST',
        auth: 'Basic eDp5',
        body: '{"source":"web","templateId":"t1"}',
      },
      {
        url: 'http://gw:8080/function/stats/mutes?source=web&templateId=t1',
        method: 'DELETE',
        auth: null,
        body: '',
      },
    ]);
    expect((await m(new Request('http://dash/function/stats/mutes', { method: 'PUT' }))).status).toBe(405);
  });

  it('answers 502 JSON when the gateway is down', async () => {
    const down = createDashboardHandler({ assetsDir: dir, gatewayUrl: 'http://down', fetch: fakeFetch });
    const res = await down(new Request('http://dash/function/stats'));
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ code: 'bad_gateway' });
  });
});

// The dashboard in real Chromium (Debian's /usr/bin/chromium driven by playwright-core; no browser
// download): stats + dashboard servers in-process over a memory KV seeded through statsWrites().
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, serve } from '../../core/http/serve.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV } from '../../core/kv/types.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import type { StatsDoc } from '../../core/stats/doc.js';
import { DEAD_LETTERED_FIELD, KEYS } from '../../core/stats/keys.js';
import { statsWrites } from '../../core/stats/record.js';
import { anomalyOf, httpEvent, sampleEvent } from '../../core/stats/sample-events.js';
import { createDashboardHandler } from '../../dashboard/server.js';
import { loadStatsConfig } from '../../functions/stats/config.js';
import { createStatsHandler } from '../../functions/stats/handler.js';
import { ARTIFACTS, buildAssets, haveChromium, launch, serveOpts, watchedPage } from './harness.js';

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';

async function seed(kv: KV, now: number): Promise<void> {
  const paths = ['/users/1', '/users/2', '/orders', '/search?q=x', '/health'];
  for (let k = 29; k >= 0; k--) {
    const t = now - k * 7_000;
    const timestamp = new Date(t).toISOString();
    const events = paths.map((p, i) =>
      httpEvent(i === 2 ? 'POST' : 'GET', p, i === 2 && k % 5 === 0 ? 503 : 200, 4 + i * 15 + (k % 7) * 3, {
        source: i % 2 ? 'api' : 'web',
        templateId: `T${i}`,
        template: `${i === 2 ? 'POST' : 'GET'} ${p.split('?')[0]} <*> <*>`,
        timestamp,
      }),
    );
    const anomalies = k % 10 === 0 ? [anomalyOf(events[2], 0.71, ['latency 12x the endpoint norm'])] : [];
    await kv.apply(statsWrites({ events, anomalies, now: t }));
  }
  const timestamp = new Date(now).toISOString();
  const hostile = [
    sampleEvent({
      source: 'evil',
      level: 'error',
      message: IMG,
      raw: IMG,
      templateId: 'X1',
      template: IMG,
      timestamp,
    }),
    sampleEvent({
      source: 'evil',
      level: 'error',
      message: SCRIPT,
      raw: SCRIPT,
      templateId: 'X2',
      template: SCRIPT,
      timestamp,
    }),
  ];
  await kv.apply(
    statsWrites({
      events: hostile,
      anomalies: hostile.map((e) => anomalyOf(e, 0.97, ['rare template', 'html in message'])),
      now,
    }),
  );
  // What detect-anomaly and the connector write (core/model-status.ts, keys.ts DEAD_LETTERED_FIELD).
  await kv.apply([
    { op: 'hset', key: MODEL_KEYS.sources, fields: { web: String(now) } },
    {
      op: 'hset',
      key: MODEL_KEYS.meta('web'),
      fields: { version: '3', trainedAt: String(now - 60_000), trainingSize: '4096', threshold: '0.62' },
    },
    { op: 'hincrby', key: KEYS.counters, field: DEAD_LETTERED_FIELD, by: 2 },
  ]);
}

describe.skipIf(!haveChromium('dashboard browser tests'))('dashboard in Chromium', () => {
  let browser: Browser;
  let assets: string;
  const kvs: KV[] = [];
  const servers: RunningServer[] = [];

  async function stack(seeded: boolean) {
    const kv = await createMemoryKv();
    kvs.push(kv);
    if (seeded) await seed(kv, Date.now());
    const broker = seeded
      ? {
          queueStats: async (name: string) => ({
            name,
            messages: name.endsWith('dead-letter') ? 2 : 0,
            consumers: 1,
          }),
        }
      : undefined;
    const stats = await serve(createStatsHandler({ kv, broker, config: loadStatsConfig({}) }), serveOpts);
    const dash = await serve(createDashboardHandler({ assetsDir: assets, gatewayUrl: stats.url }), serveOpts);
    servers.push(stats, dash);
    return { kv, stats, dash };
  }

  async function open(
    url: string,
    width = 1280,
  ): Promise<{ page: Page; dialogs: string[]; problems: string[] }> {
    const { page, dialogs, problems } = await watchedPage(browser, width);
    await page.goto(url);
    try {
      await page.waitForSelector('#v-total[data-value]', { timeout: 10_000 });
    } catch (e) {
      throw new Error(`dashboard did not render: ${problems.join('; ') || String(e)}`);
    }
    return { page, dialogs, problems };
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    assets = await buildAssets();
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
    for (const kv of kvs) await kv.close();
  });

  it('shows the stats numbers, charts with data, and hostile log text as text', async () => {
    const { stats, dash } = await stack(true);
    const { page, dialogs, problems } = await open(`${dash.url}/?window=15m&refresh=60s`);
    const csp = (await page.request.get(`${dash.url}/`)).headers()['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    const doc = (await (await fetch(`${stats.url}/function/stats?window=15m`)).json()) as StatsDoc;
    expect(doc.total).toBe(152);
    expect(await page.getAttribute('#v-total', 'data-value')).toBe(String(doc.total));
    expect(await page.textContent('#v-total')).toBe(doc.total.toLocaleString('en-US'));
    expect(await page.getAttribute('#v-anomalies', 'data-value')).toBe(String(doc.anomalies));
    expect(await page.textContent('#v-anomalies')).toBe(String(doc.anomalies));
    expect(Number(await page.getAttribute('#v-rate', 'data-value'))).toBe(doc.anomaly_rate);
    expect(Number(await page.getAttribute('#chart-throughput', 'data-points'))).toBeGreaterThan(10);
    expect(Number(await page.getAttribute('#chart-latency', 'data-points'))).toBeGreaterThan(0);
    expect(await page.isHidden('#throughput-empty')).toBe(true);

    const anomaliesText = await page.textContent('#anomalies');
    expect(anomaliesText).toContain(IMG);
    expect(anomaliesText).toContain(SCRIPT);
    expect(
      await page.locator('#anomalies img, #anomalies script, #templates img, #templates script').count(),
    ).toBe(0);
    expect(await page.textContent('#templates')).toContain(IMG);
    expect(await page.textContent('#endpoints')).toContain('GET /users/:id');
    expect(await page.textContent('#model')).toContain('v3');
    expect(await page.textContent('#pipeline')).toContain('logfaas.dead-letter');
    expect(await page.getAttribute('#v-dead', 'data-value')).toBe(String(doc.dead_lettered));
    expect(doc.dead_lettered).toBe(2);

    await page.locator('#anomalies tr.clickable', { hasText: IMG }).click();
    await page.waitForSelector('#event-dialog[open]');
    expect(await page.textContent('#event-json')).toContain(IMG);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-event.png') });
    await page.click('#event-close');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('puts the window in the stats query and the shareable URL', async () => {
    const { dash } = await stack(true);
    const { page } = await open(`${dash.url}/?refresh=60s`);
    expect(await page.inputValue('#window')).toBe('15m');
    const req = page.waitForRequest((r) => r.url().includes('function/stats?window=1h'));
    await page.selectOption('#window', '1h');
    await req;
    expect(page.url()).toContain('window=1h');
    expect(page.url()).toContain('refresh=60s');
    await page.close();
  });

  it('works mounted under the gateway at /ui/ (prefix stripped), with relative URLs', async () => {
    const { dash } = await stack(true);
    const inner = createDashboardHandler({ assetsDir: assets, gatewayUrl: dash.url });
    const mounted = await serve(async (req) => {
      const u = new URL(req.url);
      if (!u.pathname.startsWith('/ui/')) return new Response('not found', { status: 404 });
      u.pathname = u.pathname.slice(3);
      return inner(new Request(u, { method: req.method, headers: req.headers }));
    }, serveOpts);
    servers.push(mounted);
    const statsCall = browser.newPage().then(async (page) => {
      const req = page.waitForRequest((r) => r.url().includes('function/stats'));
      await page.goto(`${mounted.url}/ui/?refresh=60s`);
      const url = (await req).url();
      await page.waitForSelector('#v-total[data-value]');
      await page.close();
      return url;
    });
    expect(await statsCall).toContain('/ui/function/stats?window=15m');
  });

  it('has clear empty states without NaN, then a banner when the gateway goes down', async () => {
    const { stats, dash } = await stack(false);
    const { page } = await open(`${dash.url}/?window=5m&refresh=2s`);
    const body = (await page.textContent('body')) ?? '';
    expect(body).not.toMatch(/NaN|undefined|Infinity/);
    expect(await page.textContent('#v-total')).toBe('0');
    expect(await page.textContent('#v-rate')).toBe('0%');
    expect(await page.isVisible('#throughput-empty')).toBe(true);
    expect(await page.textContent('#anomalies')).toContain('No anomalies');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-empty.png'), fullPage: true });
    await stats.close();
    await page.waitForSelector('#banner:not([hidden])', { timeout: 10_000 });
    expect(await page.textContent('#banner')).toMatch(/Cannot reach stats.*retrying/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-down.png') });
    await page.close();
  });

  it('pauses polling while the tab is hidden and resumes when it is shown', async () => {
    const { dash } = await stack(true);
    const { page } = await open(`${dash.url}/?window=1m&refresh=2s`);
    let polls = 0;
    page.on('request', (r) => {
      if (r.url().includes('function/stats')) polls++;
    });
    const setHidden = (hidden: boolean) =>
      page.evaluate((h) => {
        Object.defineProperty(document, 'hidden', { value: h, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    polls = 0;
    await page.waitForTimeout(4500);
    expect(polls).toBe(0);
    expect(await page.textContent('#status')).toContain('paused');
    const resumed = page.waitForRequest((r) => r.url().includes('function/stats'));
    await setHidden(false);
    await resumed;
    await page.close();
  });

  it('fits a 375 px phone screen without horizontal overflow', async () => {
    const { dash } = await stack(true);
    const { page } = await open(`${dash.url}/?refresh=60s`, 375);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    await page.close();
  });
});

// What a new user tripped on (issue #17, items 1-5), in real Chromium: simulated data recognisable and
// filtered out, every source reachable, anomalies in the order of the time shown, each reason once, and
// the template cap bucket said apart from the templates.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, serve } from '../../core/http/serve.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV } from '../../core/kv/types.js';
import { CAPS } from '../../core/stats/keys.js';
import { statsWrites } from '../../core/stats/record.js';
import { anomalyOf, httpEvent, sampleEvent } from '../../core/stats/sample-events.js';
import { createDashboardHandler } from '../../dashboard/server.js';
import { mergeReasons } from '../../functions/detect-anomaly/explain.js';
import { loadStatsConfig } from '../../functions/stats/config.js';
import { createStatsHandler } from '../../functions/stats/handler.js';
import { ARTIFACTS, buildAssets, haveChromium, launch, serveOpts } from './harness.js';

const TPL_FACT = 'template seen 1 time in 3,000 events: "Aborted connection <*>"';
/** Sources past the breakdown's first 12: the issue's `ci` and `postgresql-15-main` were among them. */
const SMALL = ['ci', 'postgresql-15-main'];

async function seed(kv: KV, now: number): Promise<void> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const sim = Array.from({ length: 40 }, (_, i) =>
    httpEvent('GET', '/api/v1/search', 200, 1500 + i, {
      source: 'sim-api',
      templateId: 'S1',
      template: 'GET /api/v1/search <*>',
      timestamp: iso(now - 5000),
    }),
  );
  const nginx = Array.from({ length: 20 }, (_, i) =>
    httpEvent('GET', '/err500', 500, 3 + i, {
      source: 'nginx',
      templateId: 'N1',
      template: 'GET /err500 <*>',
      timestamp: iso(now - 60_000),
    }),
  );
  // 14 more real sources, the two the smallest, so the breakdown has more than 12.
  const others = [...Array.from({ length: 12 }, (_, i) => `app-${i + 1}`), ...SMALL].flatMap((source, k) =>
    Array.from({ length: 30 - 2 * k }, () =>
      sampleEvent({ source, templateId: `A${k}`, template: `app ${k}` }),
    ),
  );
  await kv.apply(statsWrites({ events: [...sim, ...nginx, ...others], anomalies: [anomalyOf(sim[0])], now }));

  // Detected in this order with event times 31 s, 40 s and 35 s past the minute (the 04:05:xx).
  const base = Math.floor((now - 120_000) / 60_000) * 60_000;
  for (const [i, s] of [31, 40, 35].entries()) {
    const e = sampleEvent({ source: 'nginx', message: `late ${s}`, timestamp: iso(base + s * 1000) });
    await kv.apply(statsWrites({ events: [e], anomalies: [anomalyOf(e, 0.8, ['HTTP 500'])], now: now + i }));
  }
  // One anomaly whose model and rule reasons state the same fact (merged as detect-anomaly merges them).
  const mysql = sampleEvent({
    source: 'mysql',
    level: 'error',
    message: 'Aborted connection 7',
    timestamp: iso(now),
  });
  const reasons = mergeReasons([TPL_FACT, 'level error'], [`new or rare ${TPL_FACT}`, 'level error']);
  await kv.apply(
    statsWrites({ events: [mysql], anomalies: [anomalyOf(mysql, 0.93, reasons)], now: now + 5 }),
  );
  // A batch with more templates than the per-batch cap keeps: the rest land in the cap bucket.
  const wide = Array.from({ length: CAPS.templatesPerBatch + 30 }, (_, i) =>
    sampleEvent({ source: 'dpkg', templateId: `D${i}`, template: `status installed pkg${i} <*>` }),
  );
  await kv.apply(statsWrites({ events: wide, anomalies: [], now: now + 6 }));
}

describe.skipIf(!haveChromium('dashboard view tests'))('dashboard views in Chromium (#17)', () => {
  let browser: Browser;
  let assets: string;
  let kv: KV;
  const servers: RunningServer[] = [];
  let url = '';

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    assets = await buildAssets();
    browser = await launch();
    kv = await createMemoryKv();
    await seed(kv, Date.now());
    const stats = await serve(createStatsHandler({ kv, config: loadStatsConfig({}) }), serveOpts);
    const dash = await serve(createDashboardHandler({ assetsDir: assets, gatewayUrl: stats.url }), serveOpts);
    servers.push(stats, dash);
    url = dash.url;
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
    await kv?.close();
  });

  async function open(query: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(`${url}/${query}`);
    await page.waitForSelector('#v-total[data-value]', { timeout: 10_000 });
    return { page, problems };
  }

  it('1. marks simulated sources and filters the page by source: all, real only, one', async () => {
    const { page, problems } = await open('?window=15m&refresh=off');
    // All sources: the note says simulated data is mixed in, the simulated source carries a badge.
    expect(await page.isVisible('#sim-note')).toBe(true);
    expect(await page.textContent('#sim-note')).toMatch(/simulated data \(sim-api\)/);
    expect(await page.textContent('#endpoints')).toContain('/api/v1/search');
    const simBar = page.locator('#breakdown li', { hasText: 'sim-api' });
    expect(await simBar.locator('.badge.sim').textContent()).toBe('sim');
    expect(await page.locator('#anomalies tr', { hasText: 'sim-api' }).locator('.badge.sim').count()).toBe(1);
    const options = await page.locator('#source option').allTextContents();
    expect(options.slice(0, 3)).toEqual(['All sources', 'Real logs only', 'Simulated only']);
    expect(options.some((o) => o.startsWith('sim-api (simulated)'))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-views-all.png'), fullPage: true });

    // Real only, from the note's button: the request, the URL and every panel follow.
    const realReq = page.waitForRequest((r) => r.url().includes('only=real'));
    await page.click('#sim-note-real');
    await realReq;
    await page.waitForFunction(
      () => !document.querySelector('#endpoints')?.textContent?.includes('/api/v1/search'),
    );
    expect(page.url()).toContain('only=real');
    expect(await page.inputValue('#source')).toBe('only:real');
    expect(await page.isHidden('#sim-note')).toBe(true);
    expect(await page.textContent('#endpoints')).toContain('GET /err500');
    expect(await page.textContent('#anomalies')).not.toContain('sim-api');
    expect(await page.textContent('#breakdown')).not.toContain('sim-api');
    expect(await page.textContent('#templates')).not.toContain('/api/v1/search');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-views-real.png'), fullPage: true });

    // One source.
    const oneReq = page.waitForRequest((r) => r.url().includes('source=nginx'));
    await page.selectOption('#source', 'source:nginx');
    await oneReq;
    await page.waitForFunction(() => !document.querySelector('#anomalies')?.textContent?.includes('mysql'));
    expect(page.url()).toContain('source=nginx');
    const sources = await page.locator('#breakdown .breakdown:nth-child(2) .bar-label').allTextContents();
    expect(sources).toEqual(['nginx']);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('2. shows every source: the first 12, then the rest behind "+N more"', async () => {
    const { page } = await open('?window=15m&refresh=off');
    const source = page.locator('#breakdown .breakdown', { has: page.locator('h3', { hasText: 'Source' }) });
    const more = source.locator('details.bars-more');
    expect(await more.locator('summary').textContent()).toMatch(/^\+\d+ more sources/);
    for (const s of SMALL) expect(await more.locator('li', { hasText: s }).isVisible()).toBe(false);
    await more.locator('summary').click();
    for (const s of SMALL) expect(await more.locator('li', { hasText: s }).isVisible()).toBe(true);
    const labels = await source.locator('.bar-label').allTextContents();
    const doc = await (await fetch(`${servers[0].url}/function/stats?window=15m`)).json();
    expect(labels.length).toBe(Object.keys(doc.by_source).length);
    await page.close();
  });

  it('3. lists recent anomalies in the order of the event time shown', async () => {
    const { page } = await open('?window=15m&refresh=off&source=nginx');
    expect((await page.locator('#anomalies th').first().textContent())?.trim()).toBe('Event time');
    const messages = await page.locator('#anomalies tbody td.message', { hasText: 'late' }).allTextContents();
    expect(messages).toEqual(['late 40', 'late 35', 'late 31']);
    const times = await page.locator('#anomalies tbody tr td:first-child').allTextContents();
    expect([...times].sort().reverse()).toEqual(times);
    await page.close();
  });

  it('4. says each reason of an anomaly once', async () => {
    const { page } = await open('?window=15m&refresh=off&source=mysql');
    const chips = await page
      .locator('#anomalies tr', { hasText: 'Aborted connection 7' })
      .locator('.chip')
      .allTextContents();
    expect(chips).toEqual([`new or rare ${TPL_FACT}`, 'level error']);
    await page.close();
  });

  it('5. keeps the cap bucket out of the template list and says which cap was hit', async () => {
    const { page } = await open('?window=15m&refresh=off');
    expect(await page.locator('#templates td', { hasText: '(templates beyond' }).count()).toBe(0);
    expect(await page.locator('#templates td', { hasText: '(other)' }).count()).toBe(0);
    expect(await page.textContent('#templates-capped')).toMatch(
      /^Not listed by template: 30 events past the per-batch cap/,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-views-templates.png'), fullPage: true });
    await page.close();
  });
});

// Incident -> context lines -> search in real Chromium (Debian's /usr/bin/chromium via playwright-core, no
// browser download): the real stats, search and dashboard servers over a memory KV that detect-anomaly's
// handler filled (it keeps the lines for search), hostile log text included; it must stay text.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../core/event.js';
import { type RunningServer, serve } from '../../core/http/serve.js';
import { INCIDENT_KEYS, type Incident } from '../../core/incident.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV } from '../../core/kv/types.js';
import { silentLogger } from '../../core/log.js';
import { DEFAULT_SEARCH_STORE } from '../../core/search/config.js';
import { Secret } from '../../core/secrets.js';
import { sampleEvent } from '../../core/stats/sample-events.js';
import { createDashboardHandler } from '../../dashboard/server.js';
import { DEFAULT_DETECT } from '../../functions/detect-anomaly/config.js';
import { createDetectAnomalyHandler } from '../../functions/detect-anomaly/handler.js';
import { createSearchHandler } from '../../functions/search/handler.js';
import { loadStatsConfig } from '../../functions/stats/config.js';
import { createStatsHandler } from '../../functions/stats/handler.js';
import { ARTIFACTS, buildAssets, haveChromium, launch, serveOpts, watchedPage } from './harness.js';

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';
const PASSWORD = 'search-browser-pw';

/** 300 lines of `api`, lines 150-154 a hostile error burst (template tErr), and 100 of `web`. */
function events(t0: number): LogEvent[] {
  const api = Array.from({ length: 300 }, (_, i) => {
    const bad = i >= 150 && i < 155;
    const raw = bad
      ? `payment failed ${i % 2 ? IMG : SCRIPT} order ${i}`
      : `served order ${i} in ${i % 40} ms`;
    return sampleEvent({
      source: 'api',
      timestamp: new Date(t0 + i * 100).toISOString(),
      level: bad ? 'error' : 'info',
      templateId: bad ? 'tErr' : 'tOk',
      message: raw,
      raw,
    });
  });
  const web = Array.from({ length: 100 }, (_, i) =>
    sampleEvent({
      source: 'web',
      timestamp: new Date(t0 + i * 100).toISOString(),
      raw: `GET /page/${i} 200`,
    }),
  );
  return [...api, ...web];
}

const withChromium = haveChromium('search browser tests');

describe.skipIf(!withChromium)('incident -> context lines -> search in Chromium', () => {
  let browser: Browser;
  let kv: KV;
  let dash: RunningServer;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const assets = await buildAssets();
    kv = await createMemoryKv();
    const now = Date.now();
    const t0 = now - 600_000;
    const detect = createDetectAnomalyHandler({
      kv,
      config: { ...DEFAULT_DETECT, minTraining: 1_000_000 },
      search: DEFAULT_SEARCH_STORE,
      logger: silentLogger,
    });
    const fed = await detect(
      new Request('http://x/', {
        method: 'POST',
        body: events(t0)
          .map((e) => JSON.stringify(e))
          .join('\n'),
      }),
    );
    expect(fed.status).toBe(200);
    const incident: Incident = {
      id: 'ab12cd34',
      source: 'api',
      kind: 'count_spike',
      templateId: 'tErr',
      template: 'payment failed <*> order <*>',
      firstTs: new Date(t0 + 150 * 100).toISOString(),
      lastTs: new Date(t0 + 154 * 100).toISOString(),
      count: 5,
      actual: 5,
      typical: 0.1,
      reasons: ['5 in 10 s, 50x the typical 0.1'],
      examples: [`payment failed ${SCRIPT} order 150`],
      status: 'closed',
      updatedAt: now,
    };
    await kv.apply([{ op: 'lpush', key: INCIDENT_KEYS.closed, values: [JSON.stringify(incident)], cap: 10 }]);
    const admin = { user: 'admin', password: new Secret(PASSWORD) };
    const stats = createStatsHandler({
      kv,
      config: loadStatsConfig({ SECRETS_DIR: '/nonexistent', LOGFAAS_ADMIN_PASSWORD: PASSWORD }),
    });
    const search = createSearchHandler({
      kv,
      config: {
        searchStore: DEFAULT_SEARCH_STORE,
        maxScanBytes: 1 << 25,
        bucketMs: DEFAULT_DETECT.windowMs,
        admin,
      },
    });
    // The gateway's routing, reduced to the two functions the page calls.
    const gateway = await serve(
      (req) => (new URL(req.url).pathname.startsWith('/function/search') ? search(req) : stats(req)),
      serveOpts,
    );
    dash = await serve(createDashboardHandler({ assetsDir: assets, gatewayUrl: gateway.url }), serveOpts);
    servers.push(gateway, dash);
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
    await kv?.close();
  });

  it('opens an incident to its context lines (its own marked, log text as text), then searches', async () => {
    const { page, dialogs, problems } = await watchedPage(browser);
    await page.goto(`${dash.url}/?window=1h&refresh=60s`);
    await page.waitForSelector('#incidents tr[data-id="ab12cd34"]', { timeout: 10_000 });
    await page.click('#incidents tr[data-id="ab12cd34"]');
    await page.waitForSelector('#incident-dialog[open]');
    // No credentials yet: asked for, a wrong password refused.
    expect(await page.isVisible('#context-password')).toBe(true);
    await page.fill('#context-password', 'wrong');
    await page.click('#context-load');
    await page.waitForSelector('#context-status.bad');
    expect(await page.textContent('#context-status')).toMatch(/Wrong user or password/);
    await page.fill('#context-password', PASSWORD);
    await page.click('#context-load');
    await page.waitForSelector('#context-status.ok');
    const lines = await page.$$eval('#incident-context li', (li) =>
      li.map(
        (l) => `${l.classList.contains('anomalous') ? '*' : ' '}${l.querySelector('.raw')?.textContent}`,
      ),
    );
    // 50 before, the 5 of the burst, 50 after, all of source api.
    expect(lines.length).toBe(105);
    expect(lines.filter((l) => l.startsWith('*'))).toEqual(
      [150, 151, 152, 153, 154].map((i) => `*payment failed ${i % 2 ? IMG : SCRIPT} order ${i}`),
    );
    expect(lines[0]).toBe(' served order 100 in 20 ms');
    expect(lines.at(-1)).toBe(' served order 204 in 4 ms');
    expect(await page.locator('#incident-dialog img, #incident-dialog script').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-incident-context.png') });

    // From the incident to a search over its source: the newest 100 of its 300 lines, then more.
    await page.click('#context-search');
    await page.waitForSelector('#incident-dialog', { state: 'hidden' });
    await page.waitForSelector('#search-status.ok');
    expect(await page.$$eval('#search-results tbody tr', (r) => r.length)).toBe(100);
    expect(await page.textContent('#search-results tbody tr:first-child')).toContain('served order 299');
    await page.click('#search-more');
    await page.waitForFunction(() => document.querySelectorAll('#search-results tbody tr').length === 200);

    // A text search (the page keeps the credentials): the hostile lines come back as text.
    await page.fill('#search-source', '');
    await page.fill('#search-q', 'PAYMENT FAILED <img');
    await page.click('#search-submit');
    await page.waitForFunction(() => document.querySelectorAll('#search-results tbody tr').length === 2);
    const cells = await page.$$eval('#search-results tbody tr td:last-child', (td) =>
      td.map((t) => t.textContent),
    );
    expect(cells).toEqual([`payment failed ${IMG} order 153`, `payment failed ${IMG} order 151`]);
    expect(await page.locator('#search-results img, #search-results script').count()).toBe(0);
    await page.fill('#search-q', 'GET /page/7');
    await page.fill('#search-source', 'api');
    await page.click('#search-submit');
    await page.waitForSelector('#search-results .empty');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-search.png'), fullPage: true });
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});

// The Incidents panel and muting in real Chromium (Debian's /usr/bin/chromium via playwright-core, no
// browser download): the real stats and dashboard servers over a memory KV. Until detect-anomaly records
// incidents, the stats answer gets its `incidents` from a fixture here (in the shape stats will return);
// mutes go through the real /mutes route, and detect-anomaly on the same KV then stops reporting.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnomalyResult } from '../../core/event.js';
import { type RunningServer, serve } from '../../core/http/serve.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV } from '../../core/kv/types.js';
import { silentLogger } from '../../core/log.js';
import { listMutes } from '../../core/mutes/store.js';
import type { Incident } from '../../core/stats/doc.js';
import { KEYS } from '../../core/stats/keys.js';
import { statsWrites } from '../../core/stats/record.js';
import { sampleEvent } from '../../core/stats/sample-events.js';
import { createDashboardHandler } from '../../dashboard/server.js';
import { DEFAULT_DETECT } from '../../functions/detect-anomaly/config.js';
import { createDetectAnomalyHandler } from '../../functions/detect-anomaly/handler.js';
import { loadStatsConfig } from '../../functions/stats/config.js';
import { createStatsHandler } from '../../functions/stats/handler.js';
import { ARTIFACTS, buildAssets, haveChromium, launch, serveOpts, watchedPage } from './harness.js';

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';
const PASSWORD = 'incidents-browser-pw';

function fixture(now: number): Incident[] {
  const iso = (ago: number) => new Date(now - ago).toISOString();
  // Deliberately not in order: the panel shows newest (last event time) first.
  return [
    {
      id: 'inc-old',
      source: 'web',
      kind: 'new_template',
      templateId: 'tNew',
      template: 'cache node <*> joined',
      firstTs: iso(3_600_000),
      lastTs: iso(3_500_000),
      count: 3,
      reasons: ['new template after warm-up'],
      examples: ['cache node 7 joined'],
      status: 'closed',
      updatedAt: now,
    },
    {
      id: 'inc-spike',
      source: 'api',
      kind: 'count_spike',
      templateId: 'tErr',
      template: `payment failed ${IMG}`,
      firstTs: iso(120_000),
      lastTs: iso(10_000),
      count: 42,
      actual: 42,
      typical: 3.5,
      reasons: ['42 in 10 s, 12x the typical 3.5'],
      examples: [`payment failed ${IMG}`, `payment failed ${SCRIPT}`],
      status: 'open',
      updatedAt: now,
    },
    {
      id: 'inc-rate',
      source: 'api',
      kind: 'error_rate',
      firstTs: iso(600_000),
      lastTs: iso(300_000),
      count: 17,
      actual: 0.4,
      typical: 0.02,
      reasons: ['error rate 40% vs 2%'],
      examples: [],
      status: 'open',
      updatedAt: now,
    },
  ];
}

describe.skipIf(!haveChromium('incidents browser tests'))('incidents panel and muting in Chromium', () => {
  let browser: Browser;
  let kv: KV;
  let dash: RunningServer;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const assets = await buildAssets();
    kv = await createMemoryKv();
    const now = Date.now();
    await kv.apply(statsWrites({ events: [sampleEvent(), sampleEvent()], anomalies: [], now }));
    const stats = createStatsHandler({
      kv,
      config: loadStatsConfig({ SECRETS_DIR: '/nonexistent', LOGFAAS_ADMIN_PASSWORD: PASSWORD }),
    });
    const incidents = fixture(now);
    const withIncidents = await serve(async (req) => {
      const res = await stats(req);
      if (new URL(req.url).pathname !== '/function/stats' || res.status !== 200) return res;
      return Response.json({ ...(await res.json()), incidents });
    }, serveOpts);
    dash = await serve(
      createDashboardHandler({ assetsDir: assets, gatewayUrl: withIncidents.url }),
      serveOpts,
    );
    servers.push(withIncidents, dash);
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.close();
    await kv?.close();
  });

  async function open(): Promise<{ page: Page; dialogs: string[]; problems: string[] }> {
    const { page, dialogs, problems } = await watchedPage(browser);
    await page.goto(`${dash.url}/?window=15m&refresh=60s`);
    await page.waitForSelector('#incidents tr[data-id]', { timeout: 10_000 });
    return { page, dialogs, problems };
  }

  it('lists incidents newest first with their facts, log text as text, and opens one to its lines', async () => {
    const { page, dialogs, problems } = await open();
    const ids = await page.$$eval('#incidents tr[data-id]', (rows) =>
      rows.map((r) => r.getAttribute('data-id')),
    );
    expect(ids).toEqual(['inc-spike', 'inc-rate', 'inc-old']);
    const spike = page.locator('#incidents tr[data-id="inc-spike"]');
    const text = (await spike.textContent()) ?? '';
    for (const s of [
      'open',
      'count spike',
      'api',
      `payment failed ${IMG}`,
      '42',
      '42 vs 3.50',
      '12x the typical',
    ])
      expect(text).toContain(s);
    expect(await page.locator('#incidents tr[data-id="inc-old"]').textContent()).toContain('closed');
    expect(await page.locator('#incidents img, #incidents script').count()).toBe(0);

    await spike.click();
    await page.waitForSelector('#incident-dialog[open]');
    expect(await page.textContent('#incident-examples')).toBe(
      `payment failed ${IMG}\npayment failed ${SCRIPT}`,
    );
    expect(await page.textContent('#incident-facts')).toContain('tErr');
    expect(await page.locator('#incident-dialog img, #incident-dialog script').count()).toBe(0);
    expect(await page.isVisible('#mute-form')).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-incident.png') });
    await page.click('#incident-close');

    // A source-level incident has no template to mute.
    await page.click('#incidents tr[data-id="inc-rate"]');
    await page.waitForSelector('#incident-dialog[open]');
    expect(await page.isHidden('#mute-form')).toBe(true);
    expect(await page.textContent('#incident-examples')).toBe('(no example lines)');
    await page.click('#incident-close');
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('mutes from an incident (authenticated), shows it muted, and detect-anomaly stops reporting it', async () => {
    const { page, problems } = await open();
    await page.click('#incidents tr[data-id="inc-spike"]');
    await page.waitForSelector('#incident-dialog[open]');
    await page.selectOption('#mute-for', '3600000');
    await page.fill('#mute-reason', 'known: card processor maintenance');
    await page.fill('#mute-password', 'wrong');
    await page.click('#mute-submit');
    await page.waitForSelector('#mute-status.bad');
    expect(await page.textContent('#mute-status')).toMatch(/Wrong user or password/);
    expect(await listMutes(kv, Date.now())).toEqual([]);

    await page.fill('#mute-password', PASSWORD);
    await page.click('#mute-submit');
    await page.waitForSelector('#mute-status.ok');
    expect(await page.textContent('#mute-status')).toMatch(/^Muted/);
    const [mute] = await listMutes(kv, Date.now());
    expect(mute).toMatchObject({
      source: 'api',
      templateId: 'tErr',
      reason: 'known: card processor maintenance',
      by: 'admin',
    });
    expect((mute.until ?? 0) - mute.at).toBe(3_600_000);
    // The page refreshes: the incident is marked muted and the mute is listed.
    await page.waitForSelector('#incidents tr[data-id="inc-spike"] .pill.warn');
    expect(await page.isVisible('#unmute-submit')).toBe(true);
    await page.click('#incident-close');
    await page.click('#mutes summary');
    expect(await page.textContent('#mutes')).toContain('known: card processor maintenance');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-muted.png'), fullPage: true });

    // detect-anomaly on the same store: the muted template's error is counted, not reported.
    const detect = createDetectAnomalyHandler({
      kv,
      // Every error line is news on its own (LEVEL_RATE=1): two lines are too few to know what is usual.
      config: { ...DEFAULT_DETECT, minTraining: 1_000_000, levelRate: 1, levelRoutine: 1e9 },
      logger: silentLogger,
    });
    const before = await kv.hgetall(KEYS.counters);
    const events = ['tErr', 'tOther'].map((templateId) =>
      sampleEvent({ source: 'api', level: 'error', templateId, timestamp: new Date().toISOString() }),
    );
    const res = await detect(
      new Request('http://x/', { method: 'POST', body: events.map((e) => JSON.stringify(e)).join('\n') }),
    );
    const flagged = (await res.text())
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as AnomalyResult).event.templateId);
    expect(flagged).toEqual(['tOther']);
    const after = await kv.hgetall(KEYS.counters);
    expect(Number(after.total) - Number(before.total)).toBe(2);
    expect(Number(after.anomalies) - Number(before.anomalies || 0)).toBe(1);

    // Unmute from the mutes list; the credentials given once are kept for the page.
    await page.click('#mutes tr.clickable');
    await page.waitForSelector('#incident-dialog[open]');
    expect(await page.isHidden('#mute-auth')).toBe(true);
    await page.click('#unmute-submit');
    await page.waitForSelector('#mute-status.ok');
    expect(await page.textContent('#mute-status')).toMatch(/^Unmuted/);
    expect(await listMutes(kv, Date.now())).toEqual([]);
    await page.click('#incident-close');
    await page.waitForFunction(() => !document.querySelector('#incidents .pill.warn'));
    expect(problems).toEqual([]);
    await page.close();
  });
});

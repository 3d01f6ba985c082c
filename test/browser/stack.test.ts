// The dashboard on the real stack, as a user meets it: `logfaas up` (embedded, one process), known lines
// sent through the producer (hostile HTML among them), the page on :5000 in Debian's Chromium.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../runner/free-port.js';
import { waitForHttp } from '../../runner/wait.js';
import { haveChromium, launch } from './harness.js';

const have = haveChromium('dashboard stack test');

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';
let up: ChildProcess;
let gateway: string;
let dashboard: string;

beforeAll(async () => {
  if (!have) return;
  const [gp, dp] = await freePorts(2);
  up = spawn(
    process.execPath,
    [
      'dist/cli.mjs',
      'up',
      '--no-simulate',
      '--gateway-port',
      String(gp),
      '--dashboard-port',
      String(dp),
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'logfaas-ui-')),
    ],
    {
      // Every error line is news on its own (42 lines are too few to know what is usual for the source).
      env: {
        PATH: process.env.PATH ?? '',
        LOGFAAS_ADMIN_PASSWORD: 'ui-test',
        LEVEL_RATE: '1',
        LEVEL_ROUTINE: '1000000000',
      },
      stdio: 'ignore',
    },
  );
  gateway = `http://127.0.0.1:${gp}`;
  dashboard = `http://127.0.0.1:${dp}`;
  await waitForHttp(`${gateway}/healthz`, 20_000);
  await waitForHttp(`${dashboard}/`, 10_000);
  const lines = [
    ...Array.from(
      { length: 40 },
      (_, i) => `2026-02-07 06:34:${String(i).padStart(2, '0')} - GET /api/users - 200 - ${40 + (i % 9)}ms`,
    ),
    JSON.stringify({ level: 'error', msg: IMG, service: 'evil' }),
    JSON.stringify({ level: 'fatal', msg: SCRIPT, service: 'evil' }),
  ];
  const r = await fetch(`${gateway}/function/producer?source=ui`, { method: 'POST', body: lines.join('\n') });
  expect(((await r.json()) as { accepted: number }).accepted).toBe(42);
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const s = (await (await fetch(`${gateway}/function/stats`)).json()) as { total: number };
    if (s.total >= 42) break;
    await new Promise((res) => setTimeout(res, 100));
  }
});

afterAll(() => {
  up?.kill('SIGTERM');
});

describe.skipIf(!have)('dashboard on the running stack', () => {
  it('matches stats, shows hostile lines as text, runs no script, and follows the window selector', async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(`${dashboard}/?window=15m&refresh=60s`);
      await page.waitForFunction(
        () => document.querySelector('#v-total')?.getAttribute('data-value') !== null,
      );
      const stats = (await (await fetch(`${gateway}/function/stats?window=15m`)).json()) as {
        total: number;
        anomalies: number;
      };
      expect(stats.total).toBe(42);
      expect(stats.anomalies).toBeGreaterThanOrEqual(2);
      expect(await page.getAttribute('#v-total', 'data-value')).toBe(String(stats.total));
      expect(await page.getAttribute('#v-anomalies', 'data-value')).toBe(String(stats.anomalies));
      const anomalies = await page.textContent('#anomalies');
      expect(anomalies).toContain(IMG);
      expect(anomalies).toContain(SCRIPT);
      expect(await page.locator('#anomalies img, #anomalies script').count()).toBe(0);
      const req = page.waitForRequest((r) => r.url().includes('function/stats?window=1h'));
      await page.selectOption('#window', '1h');
      await req;
      expect(page.url()).toContain('window=1h');
      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: 'test-results/dashboard-stack.png', fullPage: true });
      expect(dialogs).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

// Shared pieces of the dashboard browser tests: Debian's Chromium through playwright-core (no browser
// download), the page built the way build.mjs builds it, and in-process server options (test/support's).
import { copyFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';

export { serveOpts } from '../support/cli-io.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = 'test-results';

/** Whether Chromium is installed; under CI=true a missing one throws instead of skipping. */
export function haveChromium(suite: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  console.warn(`skipping ${suite}: ${CHROMIUM} not found (apt-get install -y chromium)`);
  return false;
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Builds the page the way build.mjs does (one browser bundle + the static files) into a temp dir. */
export async function buildAssets(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), 'logfaas-dashboard-'));
  await build({
    entryPoints: { app: 'dashboard/app.ts' },
    outdir: out,
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    minify: true,
    logLevel: 'warning',
  });
  for (const f of readdirSync('dashboard'))
    if (/\.(html|css)$/.test(f)) copyFileSync(join('dashboard', f), join(out, f));
  return out;
}

export interface WatchedPage {
  page: Page;
  /** Every dialog opened (dismissed): a hostile line that ran as script would show here. */
  dialogs: string[];
  /** Page errors and console errors, failed resource loads aside. */
  problems: string[];
}

export async function watchedPage(browser: Browser, width = 1280, height = 900): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width, height } });
  const dialogs: string[] = [];
  const problems: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
  });
  return { page, dialogs, problems };
}

// `logfaas up` (npm start) as a user runs it: one process, embedded broker and KV (nothing installed),
// then the same with real RabbitMQ and Redis. Lines in through the gateway, counted in stats, and the
// embedded store's counts survive a restart.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dropNamespace } from '../../runner/drop-namespace.js';
import { freePort, freePorts } from '../../runner/free-port.js';
import { waitForHttp } from '../../runner/wait.js';
import { alertmanagerInstalled, startAlertmanager } from '../alertmanager.js';
import { amqpUrl, redisUrl, requireService, tcpReachable, uniqueName } from '../services.js';
import { mixedLines } from './lines.js';

const servicesUp =
  (await requireService('redis', () => tcpReachable(redisUrl(), 6379))) &&
  (await requireService('rabbitmq', () => tcpReachable(amqpUrl(), 5672)));

const amInstalled = await requireService('alertmanager', async () => alertmanagerInstalled());

const running: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map(stop));
});

function stop(p: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.exitCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
  });
}

async function up(dataDir: string, env: Record<string, string> = {}) {
  const [gatewayPort, dashboardPort] = await freePorts(2);
  const base: Record<string, string> = { PATH: process.env.PATH ?? '', LOGFAAS_ADMIN_PASSWORD: 'pw-up-test' };
  const p = spawn(
    process.execPath,
    [
      'dist/cli.mjs',
      'up',
      '--no-simulate',
      '--gateway-port',
      String(gatewayPort),
      '--dashboard-port',
      String(dashboardPort),
      '--data-dir',
      dataDir,
    ],
    { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.push(p);
  let out = '';
  p.stdout?.on('data', (c) => (out += c));
  p.stderr?.on('data', (c) => (out += c));
  const gateway = `http://127.0.0.1:${gatewayPort}`;
  try {
    await waitForHttp(`${gateway}/healthz`, 20_000);
    await waitForHttp(`http://127.0.0.1:${dashboardPort}/`, 5_000);
    const until = Date.now() + 10_000;
    while (!out.includes('logfaas is up') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  } catch (e) {
    throw new Error(`logfaas up did not start: ${String(e)}\n${out}`);
  }
  return { p, gateway, dashboard: `http://127.0.0.1:${dashboardPort}`, output: () => out };
}

async function totals(gateway: string, want: number) {
  const until = Date.now() + 20_000;
  let s = { total: -1, anomalies: -1 };
  while (Date.now() < until) {
    s = (await (await fetch(`${gateway}/function/stats`)).json()) as typeof s;
    if (s.total >= want) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return s;
}

describe('logfaas up', () => {
  it('runs embedded with nothing installed, counts what is sent, and keeps it across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'logfaas-up-'));
    const a = await up(dataDir);
    expect(a.output()).toContain('broker: embedded');
    expect(a.output()).toContain(`dashboard: ${a.dashboard}`);
    const { lines } = mixedLines(2_000, 7);
    const r = await fetch(`${a.gateway}/function/producer?source=up`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    expect(((await r.json()) as { accepted: number }).accepted).toBe(2_000);
    const first = await totals(a.gateway, 2_000);
    expect(first.total).toBe(2_000);
    expect(a.output()).not.toContain('pw-up-test');
    await stop(a.p);

    const b = await up(dataDir);
    const again = await totals(b.gateway, 2_000);
    expect(again.total).toBe(2_000);
    expect(again.anomalies).toBe(first.anomalies);
  });

  it.skipIf(!servicesUp)('runs in one process against real RabbitMQ and Redis', async () => {
    const ns = uniqueName('up');
    const a = await up(mkdtempSync(join(tmpdir(), 'logfaas-up-')), {
      AMQP_URL: amqpUrl(),
      REDIS_URL: redisUrl(),
      REDIS_PREFIX: `${ns}:`,
      BROKER_NAMESPACE: ns,
    });
    expect(a.output()).toContain('broker: RabbitMQ');
    const { lines } = mixedLines(3_000, 8);
    const r = await fetch(`${a.gateway}/function/producer?source=up`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    expect(((await r.json()) as { accepted: number }).accepted).toBe(3_000);
    expect((await totals(a.gateway, 3_000)).total).toBe(3_000);
    await Promise.all(running.splice(0).map(stop));
    await dropNamespace({ redisUrl: redisUrl(), amqpUrl: amqpUrl(), ns });
  });

  it.skipIf(!existsSync('/usr/bin/logger') && process.env.CI !== 'true')(
    'receives syslog with SYSLOG_PORT set, and says where',
    async () => {
      const port = await freePort();
      const a = await up(mkdtempSync(join(tmpdir(), 'logfaas-up-')), {
        SYSLOG_PORT: String(port),
        SYSLOG_HOST: '127.0.0.1',
      });
      expect(a.output()).toMatch(
        new RegExp(`syslog: +udp ${port}, tcp ${port}, metrics http://\\S+/metrics`),
      );
      for (const proto of ['--udp', '--tcp'])
        execFileSync('logger', [
          '--server',
          '127.0.0.1',
          '--port',
          String(port),
          proto,
          '-t',
          'up-syslog',
          'hello from logger',
        ]);
      expect((await totals(a.gateway, 2)).total).toBe(2);
    },
  );

  it.skipIf(!amInstalled)(
    'sends incidents to Alertmanager only when ALERTMANAGER_URL is set',
    async () => {
      const am = await startAlertmanager();
      try {
        // Rules only, every error line news on its own: a burst of errors is one incident.
        const env = { LEVEL_RATE: '1', LEVEL_ROUTINE: '1000000000', MIN_TRAINING: '100000000' };
        const burst = () => {
          const t0 = Date.now();
          return Array.from({ length: 60 }, (_, i) => {
            const ts = new Date(t0 + i * 5).toISOString();
            return i % 3 === 0
              ? `${ts} ERROR disk full on /var order=${i}`
              : `${ts} INFO order ok order=${i}`;
          }).join('\n');
        };
        const incidents = async (gateway: string) => {
          const until = Date.now() + 20_000;
          for (;;) {
            const doc = (await (await fetch(`${gateway}/function/stats`)).json()) as {
              incidents?: unknown[];
            };
            if ((doc.incidents?.length ?? 0) > 0 || Date.now() > until) return doc.incidents?.length ?? 0;
            await new Promise((r) => setTimeout(r, 200));
          }
        };
        const quiet = await up(mkdtempSync(join(tmpdir(), 'logfaas-up-')), env);
        await fetch(`${quiet.gateway}/function/producer?source=nourl`, { method: 'POST', body: burst() });
        expect(await incidents(quiet.gateway)).toBeGreaterThan(0);
        await new Promise((r) => setTimeout(r, 1500));
        expect(await am.alerts()).toEqual([]);
        await Promise.all(running.splice(0).map(stop));

        const loud = await up(mkdtempSync(join(tmpdir(), 'logfaas-up-')), {
          ...env,
          ALERTMANAGER_URL: am.url,
        });
        await fetch(`${loud.gateway}/function/producer?source=withurl`, { method: 'POST', body: burst() });
        const until = Date.now() + 20_000;
        let alerts = await am.alerts();
        while (!alerts.length && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 200));
          alerts = await am.alerts();
        }
        expect(alerts.map((a) => [a.labels.alertname, a.labels.source])).toEqual([['LogAnomaly', 'withurl']]);
      } finally {
        await am.stop();
      }
    },
    60_000,
  );
});

// Alerts end to end: every component a process (real RabbitMQ and Redis), the real Alertmanager from
// Debian and a local webhook receiver. An error burst sent to the producer becomes an incident, which
// reaches Alertmanager as an alert with its source label and the receiver as a signed post with an
// example line; once the source stays quiet the incident closes and the alert resolves.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_SECRET_FILE } from '../../functions/notify/config.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verify } from '../../functions/notify/webhook.js';
import { dropNamespace } from '../../runner/drop-namespace.js';
import type { ProcessStack } from '../../runner/processes.js';
import { alertmanagerInstalled, type RunningAlertmanager, startAlertmanager } from '../alertmanager.js';
import { type Receiver, startReceiver } from '../receiver.js';
import { amqpUrl, redisUrl, requireService, uniqueName } from '../services.js';
import { poll, servicesUp, startTestStack } from './stack.js';

const up =
  (await servicesUp()) && (await requireService('alertmanager', async () => alertmanagerInstalled()));

describe.skipIf(!up)('alerts end to end: producer -> incident -> Alertmanager and a signed webhook', () => {
  const ns = uniqueName('alerts');
  const SECRET = 'e2e-webhook-secret';
  const source = 'checkout';
  const dataDir = mkdtempSync(join(tmpdir(), 'logfaas-alerts-'));
  const secrets = mkdtempSync(join(tmpdir(), 'logfaas-alerts-secrets-'));
  writeFileSync(join(secrets, WEBHOOK_SECRET_FILE), SECRET);
  let am: RunningAlertmanager;
  let hook: Receiver;
  let stack: ProcessStack;

  beforeAll(async () => {
    am = await startAlertmanager();
    // Checks every post as a real receiver would: a bad or stale signature is refused (401).
    hook = await startReceiver((r) => {
      const ts = Number(r.headers[TIMESTAMP_HEADER]);
      const fresh = Math.abs(Date.now() / 1000 - ts) < 300;
      return fresh && verify(SECRET, ts, r.body, String(r.headers[SIGNATURE_HEADER])) ? 200 : 401;
    });
    stack = await startTestStack({
      ns,
      dataDir,
      password: 'alerts-e2e-admin-password',
      envFor: {
        // Rules only, every error line news on its own; a 3 s quiet period closes the incident soon.
        'detect-anomaly': {
          MIN_TRAINING: '100000000',
          LEVEL_RATE: '1',
          LEVEL_ROUTINE: '1000000000',
          INCIDENT_QUIET: '3s',
        },
        connector: { MAX_ATTEMPTS: '3', REBUILD_INTERVAL: '1s' },
        notify: {
          ALERTMANAGER_URL: am.url,
          ALERT_WEBHOOK_URLS: `${hook.url}/hooks/logfaas`,
          SECRETS_DIR: secrets,
          DASHBOARD_URL: 'http://dashboard.example:5000',
          RESEND_INTERVAL: '1s',
          INCIDENT_QUIET: '3s',
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await hook?.close();
    await am?.stop();
    await dropNamespace({ redisUrl: redisUrl(), amqpUrl: amqpUrl(), ns });
  });

  it('an error burst fires an alert with its source and a signed webhook with a line; quiet resolves it', async () => {
    // Event times now, a few ms apart: one incident, judged on live time.
    const t0 = Date.now();
    const lines = Array.from({ length: 120 }, (_, i) => {
      const ts = new Date(t0 + i * 5).toISOString();
      return i % 3 === 0
        ? `${ts} ERROR payment upstream timed out after 3000 ms order=${1000 + i}`
        : `${ts} INFO order accepted order=${1000 + i}`;
    });
    const needle = lines[0].slice(lines[0].indexOf('ERROR'));
    // The producer refuses (503, nothing published) until the connector has bound the queues.
    const res = await poll(
      () =>
        fetch(`${stack.gatewayUrl}/function/producer?source=${source}`, {
          method: 'POST',
          body: `${lines.join('\n')}\n`,
        }),
      (r) => r.status !== 503,
      20_000,
    );
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    const accepted = Date.now();

    const firing = await poll(
      () => am.alerts(),
      (a) => a.some((x) => x.labels.source === source),
      45_000,
    );
    const fired = Date.now();
    const alert = firing.find((x) => x.labels.source === source);
    expect(alert, JSON.stringify(firing)).toBeDefined();
    expect(alert!.labels).toMatchObject({ alertname: 'LogAnomaly', source, kind: 'event_anomaly' });
    expect(alert!.labels.template_id).toBeTruthy();
    expect(alert!.status.state).toBe('active');
    expect(alert!.annotations.description).toMatch(/\d/);
    expect(alert!.annotations.example_1).toContain('ERROR payment upstream timed out');
    expect(alert!.annotations.dashboard).toMatch(/^http:\/\/dashboard\.example:5000\/#incident=[0-9a-f]+$/);

    const posts = await poll(
      async () => hook.received.filter((r) => r.path === '/hooks/logfaas'),
      (p) => p.length > 0,
      10_000,
    );
    const opened = posts[0];
    const ts = Number(opened.headers[TIMESTAMP_HEADER]);
    expect(verify(SECRET, ts, opened.body, String(opened.headers[SIGNATURE_HEADER]))).toBe(true);
    expect(verify('another-secret', ts, opened.body, String(opened.headers[SIGNATURE_HEADER]))).toBe(false);
    const body = JSON.parse(opened.body) as {
      state: string;
      incident: { source: string; examples: string[] };
      text: string;
    };
    expect(body.state).toBe('opened');
    expect(body.incident.source).toBe(source);
    expect(body.incident.examples.some((l) => l.includes(needle))).toBe(true);
    expect(body.text).toContain('[LogAnomaly opened]');

    // No more lines: after INCIDENT_QUIET the incident closes and the alert resolves (gone from the
    // active list), and the receiver hears of it once.
    const after = await poll(
      () => am.alerts(),
      (a) => !a.some((x) => x.labels.source === source),
      30_000,
    );
    expect(after.filter((x) => x.labels.source === source)).toEqual([]);
    const closed = await poll(
      async () => hook.received.filter((r) => JSON.parse(r.body).state === 'closed'),
      (c) => c.length > 0,
      5_000,
    );
    expect(closed).toHaveLength(1);
    expect(hook.received.filter((r) => JSON.parse(r.body).state === 'opened')).toHaveLength(1);
    expect(hook.answered, 'the receiver accepted every signature').toEqual([200, 200]);
    console.log(
      `alerts e2e: alert in Alertmanager ${fired - accepted} ms after the producer accepted the burst, resolved ${Date.now() - accepted} ms after it (INCIDENT_QUIET 3 s, RESEND_INTERVAL 1 s); ${hook.received.length} webhook posts`,
    );
  }, 120_000);
});

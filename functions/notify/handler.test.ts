// notify's handler against the embedded KV and real Redis, sending to real local receivers: one notice
// per change, retries owed only to the receiver that failed, the rate limit shared by replicas, closing
// on a silent source, and Alertmanager re-sends.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INCIDENT_KEYS, type Incident } from '../../core/incident.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import { createRedisKv } from '../../core/kv/redis.js';
import type { KV } from '../../core/kv/types.js';
import { silentLogger } from '../../core/log.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import { incident } from '../../test/incident-fixture.js';
import { type Receiver, startReceiver } from '../../test/receiver.js';
import { clearAndClose, redisUrl, requireService, tcpReachable, uniqueName } from '../../test/services.js';
import { loadNotifyConfig, WEBHOOK_SECRET_FILE } from './config.js';
import { createNotifyHandler, type NotifyHandler } from './handler.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verify } from './webhook.js';

const redisUp = await requireService('redis', () => tcpReachable(redisUrl(), 6379));
const SECRET = 'webhook-test-secret';
const secrets = mkdtempSync(join(tmpdir(), 'notify-secrets-'));
writeFileSync(join(secrets, WEBHOOK_SECRET_FILE), `${SECRET}\n`);

const T0 = Date.parse('2026-12-07T06:01:10.000Z');

const stores = [
  { name: 'embedded', up: true, open: () => createMemoryKv() },
  {
    name: 'redis',
    up: redisUp,
    open: () => createRedisKv({ url: redisUrl(), prefix: `${uniqueName('notify')}:`, logger: silentLogger }),
  },
];

describe.each(stores)('notify handler over the $name KV', (store) => {
  const kvs: KV[] = [];
  let kv: KV;
  let am: Receiver;
  let hook: Receiver;
  let now = T0;
  const handlers: NotifyHandler[] = [];

  const make = (env: Record<string, string> = {}) => {
    const h = createNotifyHandler({
      kv,
      config: loadNotifyConfig({
        ALERTMANAGER_URL: am.url,
        ALERT_WEBHOOK_URLS: `${hook.url}/hook`,
        SECRETS_DIR: secrets,
        DASHBOARD_URL: 'http://dash:5000',
        INCIDENT_QUIET: '5m',
        ...env,
      }),
      logger: silentLogger,
      now: () => now,
    });
    handlers.push(h);
    return h;
  };
  const message = (ids: string[], state = 'opened', source = 'web') =>
    new Request('http://x/function/notify', {
      method: 'POST',
      body: JSON.stringify({ incidents: ids.map((id) => ({ source, id, state })) }),
    });
  const putOpen = (...incs: Incident[]) =>
    kv.apply([
      { op: 'hset', key: MODEL_KEYS.sources, fields: { web: String(T0) } },
      { op: 'del', key: INCIDENT_KEYS.open('web') },
      ...(incs.length
        ? [
            {
              op: 'hset' as const,
              key: INCIDENT_KEYS.open('web'),
              fields: Object.fromEntries(incs.map((i) => [`g-${i.id}`, JSON.stringify(i)])),
            },
          ]
        : []),
    ]);
  const close = (inc: Incident) =>
    kv.apply([
      { op: 'del', key: INCIDENT_KEYS.open('web') },
      {
        op: 'lpush',
        key: INCIDENT_KEYS.closed,
        values: [JSON.stringify({ ...inc, status: 'closed' })],
        cap: 500,
      },
    ]);
  const alertsPosted = () =>
    am.received.flatMap((r) => JSON.parse(r.body) as { labels: Record<string, string>; endsAt?: string }[]);

  beforeEach(async () => {
    if (!store.up) return;
    kv = await store.open();
    kvs.push(kv);
    am = await startReceiver();
    hook = await startReceiver();
    now = T0;
  });
  afterEach(async () => {
    if (!store.up) return;
    for (const h of handlers.splice(0)) h.close();
    await am.close();
    await hook.close();
    await clearAndClose(kvs);
  });

  it.skipIf(!store.up)(
    'announces an opened incident once: an Alertmanager alert and a signed webhook with its lines',
    async () => {
      const h = make();
      await putOpen(incident());
      const res = await h(message(['abc123']));
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toEqual({ sent: 2, held: 0 });
      expect(am.received.map((r) => r.path)).toEqual(['/api/v2/alerts']);
      expect(alertsPosted()[0].labels).toMatchObject({
        alertname: 'LogAnomaly',
        source: 'web',
        kind: 'error_rate',
        template_id: 't1',
      });
      expect(hook.received).toHaveLength(1);
      const w = hook.received[0];
      const ts = Number(w.headers[TIMESTAMP_HEADER]);
      expect(verify(SECRET, ts, w.body, String(w.headers[SIGNATURE_HEADER]))).toBe(true);
      expect(JSON.parse(w.body)).toMatchObject({
        state: 'opened',
        incident: { examples: ['2026-12-07 06:00:01 ERROR upstream timed out'] },
      });
      // The same change again (a redelivery), and a small update: nothing new.
      await putOpen(incident({ count: 45, updatedAt: T0 + 1 }));
      expect((await (await h(message(['abc123'], 'updated'))).json()).sent).toBe(0);
      expect(am.received.length + hook.received.length).toBe(2);
      // Lines doubled: one update.
      await putOpen(incident({ count: 90, updatedAt: T0 + 2 }));
      expect((await (await h(message(['abc123'], 'updated'))).json()).sent).toBe(2);
      expect(JSON.parse(hook.received[1].body).state).toBe('updated');
    },
  );

  it.skipIf(!store.up)(
    'a receiver down: 502 for a retry that goes to it alone; a 4xx dead-letters (422)',
    async () => {
      const h = make();
      await putOpen(incident());
      hook.status = 503;
      const res = await h(message(['abc123']));
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({
        error: 'receiver_unavailable',
        failures: [{ detail: 'HTTP 503' }],
      });
      expect(am.received).toHaveLength(1);
      hook.status = 200;
      expect((await h(message(['abc123']))).status).toBe(200);
      expect(am.received).toHaveLength(1);
      expect(hook.received).toHaveLength(2);
      // A receiver that refuses the notice: retrying cannot help.
      await putOpen(incident(), incident({ id: 'def456' }));
      hook.status = 400;
      const bad = await h(message(['def456']));
      expect(bad.status).toBe(422);
      hook.status = 200;
      expect((await h(message(['def456']))).status).toBe(200);
      expect(hook.received).toHaveLength(3);
    },
  );

  it.skipIf(!store.up)(
    'a receiver down is not tried again in the same round; what it is owed goes next round',
    async () => {
      const h = make({ ALERTMANAGER_URL: '' });
      await putOpen(incident({ id: 'aa01' }), incident({ id: 'aa02', firstTs: '2026-12-07T06:00:30.000Z' }));
      hook.status = 503;
      expect((await h(message(['aa01', 'aa02']))).status).toBe(502);
      expect(hook.received).toHaveLength(1);
      hook.status = 200;
      expect(await (await h(message(['aa02']))).json()).toEqual({ sent: 2, held: 0 });
      expect(hook.received.slice(1).map((r) => JSON.parse(r.body).incident.id)).toEqual(['aa01', 'aa02']);
    },
  );

  it.skipIf(!store.up)('passes a receiver 429 on, so the connector backs off', async () => {
    const h = make({ ALERT_WEBHOOK_URLS: '' });
    await putOpen(incident());
    am.status = 429;
    expect((await h(message(['abc123']))).status).toBe(429);
  });

  it.skipIf(!store.up)('resolves a closed incident: endsAt in Alertmanager, a closed webhook', async () => {
    const h = make();
    await putOpen(incident());
    await h(message(['abc123']));
    await close(incident({ count: 70 }));
    now += 60_000;
    const res = await h(message(['abc123'], 'closed'));
    expect(await res.json()).toEqual({ sent: 2, held: 0 });
    const last = alertsPosted().at(-1)!;
    expect(last.endsAt).toBe(new Date(now).toISOString());
    expect(JSON.parse(hook.received.at(-1)!.body)).toMatchObject({
      state: 'closed',
      incident: { count: 70 },
    });
    // Nothing more about it, ever.
    expect((await (await h(message(['abc123'], 'closed'))).json()).sent).toBe(0);
    expect(await h.resend()).toMatchObject({ sent: 0 });
  });

  it.skipIf(!store.up)(
    'rate-limits per source across replicas; held changes go out once the window allows',
    async () => {
      const env = { NOTIFY_RATE_LIMIT: '2', NOTIFY_RATE_WINDOW: '10m', ALERT_WEBHOOK_URLS: '' };
      const [a, b] = [make(env), make(env)];
      const incs = ['a1', 'a2', 'a3'].map((id, i) =>
        incident({ id, firstTs: `2026-12-07T06:0${i}:00.000Z` }),
      );
      await putOpen(...incs);
      expect(await (await a(message(['a1', 'a2']))).json()).toEqual({ sent: 2, held: 1 });
      expect(await (await b(message(['a3']))).json()).toEqual({ sent: 0, held: 1 });
      expect(alertsPosted().map((x) => x.labels.incident_id)).toEqual(['a1', 'a2']);
      // The next window, the incidents still going.
      now += 10 * 60_000;
      await putOpen(...incs.map((i) => ({ ...i, updatedAt: now })));
      expect(await (await b(message(['a3']))).json()).toEqual({ sent: 1, held: 0 });
    },
  );

  it.skipIf(!store.up)(
    're-sends open alerts on the periodic pass, and closes a silent source after the quiet period',
    async () => {
      const h = make({ INCIDENT_QUIET: '2m', RESEND_INTERVAL: '1s' });
      await putOpen(incident({ updatedAt: T0 }));
      await h(message(['abc123']));
      now += 60_000;
      expect(await h.resend()).toEqual({ sources: 1, sent: 0, failures: 0 });
      expect(am.received).toHaveLength(2);
      expect(hook.received).toHaveLength(1);
      // No batch from the source for longer than INCIDENT_QUIET: closed, though detect never moved it.
      now += 2 * 60_000;
      expect(await h.resend()).toEqual({ sources: 1, sent: 2, failures: 0 });
      expect(alertsPosted().at(-1)?.endsAt).toBeDefined();
      expect(JSON.parse(hook.received.at(-1)!.body).state).toBe('closed');
    },
  );

  it.skipIf(!store.up)(
    'answers bad input with a JSON 400, GET with 405, and sends nothing without targets',
    async () => {
      const h = make();
      const bad = await h(new Request('http://x/', { method: 'POST', body: '{"incidents":[{"id":"<x>"}]}' }));
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toMatch(/json/);
      expect((await h(new Request('http://x/'))).status).toBe(405);
      const idle = make({ ALERTMANAGER_URL: '', ALERT_WEBHOOK_URLS: '' });
      await putOpen(incident());
      expect(await (await idle(message(['abc123']))).json()).toMatchObject({ sent: 0 });
      expect(await idle.resend()).toBeUndefined();
      expect(am.received.length + hook.received.length).toBe(0);
    },
  );
});

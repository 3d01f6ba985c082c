import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../../core/http/serve.js';
import { INCIDENT_KEYS, type Incident } from '../../core/incident.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV } from '../../core/kv/types.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import type { StatsDoc } from '../../core/stats/doc.js';
import { statsWrites } from '../../core/stats/record.js';
import { anomalyOf, sampleEvent } from '../../core/stats/sample-events.js';
import { countHashReads } from '../../test/services.js';
import { loadStatsConfig } from './config.js';
import { createStatsHandler } from './handler.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const config = loadStatsConfig({ STATS_BROKER_TIMEOUT: '50ms' });
const kvs: KV[] = [];
afterEach(async () => {
  for (const kv of kvs.splice(0)) await kv.close();
});
async function handler(broker?: Parameters<typeof createStatsHandler>[0]['broker']) {
  const kv = await createMemoryKv({ now: () => NOW });
  kvs.push(kv);
  const e = sampleEvent();
  await kv.apply(statsWrites({ events: [e, sampleEvent()], anomalies: [anomalyOf(e)], now: NOW }));
  return createStatsHandler({ kv, broker, config, now: () => NOW });
}
const get = (h: (r: Request) => Promise<Response>, q = '', method = 'GET') =>
  h(new Request(`http://x/function/stats${q}`, { method }));

function incident(over: Partial<Incident>): Incident {
  return {
    id: 'aaaa',
    source: 'web',
    kind: 'count_spike',
    firstTs: new Date(NOW - 60_000).toISOString(),
    lastTs: new Date(NOW - 50_000).toISOString(),
    count: 4800,
    actual: 4800,
    typical: 480,
    reasons: ['count spike: 4,800 lines per 10 s, typical ~480 (10x)'],
    examples: ['GET / 200'],
    status: 'open',
    updatedAt: NOW - 1000,
    ...over,
  };
}

describe('stats incidents', () => {
  it('lists open and closed incidents newest first, and answers one by id with its lines', async () => {
    const kv = await createMemoryKv({ now: () => NOW });
    kvs.push(kv);
    const older = incident({
      id: 'bbbb',
      kind: 'new_template',
      lastTs: new Date(NOW - 3_600_000).toISOString(),
      status: 'closed',
    });
    // Not updated for longer than the quiet period: its source went silent, so it shows closed.
    const stale = incident({
      id: 'cccc',
      source: 'db',
      lastTs: new Date(NOW - 30_000).toISOString(),
      updatedAt: NOW - 3_600_000,
    });
    await kv.apply([
      { op: 'hset', key: MODEL_KEYS.sources, fields: { web: String(NOW), db: String(NOW) } },
      {
        op: 'hset',
        key: INCIDENT_KEYS.open('web'),
        fields: { 'count_spike|*': JSON.stringify(incident({})) },
      },
      {
        op: 'hset',
        key: INCIDENT_KEYS.open('db'),
        fields: { 'count_spike|*': JSON.stringify(stale), _dropped: '2' },
      },
      { op: 'lpush', key: INCIDENT_KEYS.closed, values: [JSON.stringify(older), 'not json'], cap: 10 },
    ]);
    const h = createStatsHandler({ kv, config, now: () => NOW });
    const doc = (await (await get(h)).json()) as StatsDoc;
    expect(doc.incidents.map((x) => [x.id, x.status])).toEqual([
      ['cccc', 'closed'],
      ['aaaa', 'open'],
      ['bbbb', 'closed'],
    ]);
    const one = await get(h, '?incident=aaaa');
    expect(one.status).toBe(200);
    expect(((await one.json()) as { incident: Incident }).incident).toMatchObject({
      id: 'aaaa',
      examples: ['GET / 200'],
    });
    expect((await get(h, '?incident=ffff')).status).toBe(404);
    const bad = await get(h, '?incident=%3Cscript%3E');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/json/);
  });
});

describe('stats handler', () => {
  it('answers the stats document, uncached, with CORS', async () => {
    const res = await get(await handler());
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const doc = (await res.json()) as StatsDoc;
    expect(doc).toMatchObject({ schema: 1, total: 2, anomalies: 1, anomaly_rate: 0.5 });
    expect(doc.window.ms).toBe(15 * 60_000);
    expect(Number.isInteger(doc.total) && Number.isInteger(doc.anomalies)).toBe(true);
    expect(doc.pipeline.queues.map((q) => q.name)).toEqual([]);
  });

  it('warm() fills the cache: the first 24 h request then fetches only the open buckets', async () => {
    const kv = await createMemoryKv({ now: () => NOW });
    kvs.push(kv);
    for (let h = 0; h < 24; h++) {
      await kv.apply(statsWrites({ events: [sampleEvent()], anomalies: [], now: NOW - h * 3_600_000 }));
    }
    const counting = countHashReads(kv);
    const h = createStatsHandler({ kv: counting.kv, config, now: () => NOW });
    await h.warm();
    const warmFetched = counting.fetched;
    counting.fetched = 0;
    const doc = (await (await get(h, '?window=24h')).json()) as StatsDoc;
    expect(doc.in_window.events).toBe(24);
    expect(counting.fetched).toBeGreaterThan(0);
    expect(counting.fetched).toBeLessThan(warmFetched / 5);
  });

  it.each([
    ['?source=web', { source: 'web', only: null }, 2],
    ['?source=nginx', { source: 'nginx', only: null }, 0],
    ['?only=real', { source: null, only: 'real' }, 2],
    ['?only=simulated', { source: null, only: 'simulated' }, 0],
    ['?source=', { source: null, only: null }, 2],
  ])('filters by source: %s', async (q, filter, events) => {
    const doc = (await (await get(await handler(), q)).json()) as StatsDoc;
    expect(doc.filter).toEqual(filter);
    expect(doc.in_window.events).toBe(events);
    expect(doc.sources.map((s) => s.name)).toEqual(['web']);
  });

  it.each([
    ['?only=fake', 'only must be real or simulated'],
    ['?source=web&only=real', 'not both'],
  ])('rejects %s with a JSON 400', async (q, msg) => {
    const res = await get(await handler(), q);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain(msg);
  });

  it.each(['1m', '15m', '1h', '24h', '90s'])('accepts window=%s', async (w) => {
    const doc = (await (await get(await handler(), `?window=${w}`)).json()) as StatsDoc;
    expect(doc.window.ms).toBeGreaterThanOrEqual(60_000);
    expect(doc.in_window.events).toBe(2);
  });

  it.each(['25h', '0m', '30s', 'abc', '15', '-1h'])('refuses window=%s with 400 JSON', async (w) => {
    const res = await get(await handler(), `?window=${w}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'bad_request' });
  });

  it('answers HEAD without a body and refuses POST with 405', async () => {
    const h = await handler();
    const head = await get(h, '', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await get(h, '', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('reports queues, and an unreachable broker as a status rather than a 500', async () => {
    const ok = await get(
      await handler({ queueStats: async (name) => ({ name, messages: 4, consumers: 1 }) }),
    );
    const okDoc = (await ok.json()) as StatsDoc;
    expect(okDoc.pipeline.status).toBe('ok');
    expect(okDoc.pipeline.queues).toHaveLength(config.queues.length);
    const hang = await get(await handler({ queueStats: () => new Promise(() => {}) }));
    expect(hang.status).toBe(200);
    expect(((await hang.json()) as StatsDoc).pipeline.status).toBe('unreachable');
  });

  it('asks the broker for each queue at most once a second, however often it is polled', async () => {
    const kv = await createMemoryKv({ now: () => NOW });
    kvs.push(kv);
    let calls = 0;
    let t = NOW;
    const broker = {
      queueStats: async (name: string) => ({ name, messages: ++calls, consumers: 1 }),
    };
    const h = createStatsHandler({ kv, broker, config, now: () => t });
    await Promise.all([get(h), get(h), get(h)]);
    t += 900;
    await get(h);
    const n = config.queues.length;
    expect(calls).toBe(n); // one per queue
    t += 200;
    const doc = (await (await get(h)).json()) as StatsDoc;
    expect(calls).toBe(2 * n);
    expect(doc.pipeline.queues.map((q) => q.messages)).toEqual(config.queues.map((_, k) => n + k + 1));
  });

  it('serves over a socket through the shared adapter', async () => {
    const s = await serve(await handler(), {
      port: 0,
      host: '127.0.0.1',
      maxBodyBytes: 1024,
      maxInflight: 4,
      timeoutMs: 5000,
    });
    try {
      const res = await fetch(`${s.url}/function/stats?window=1h`);
      expect(((await res.json()) as StatsDoc).total).toBe(2);
    } finally {
      await s.close();
    }
  });
});

describe('loadStatsConfig', () => {
  it('has defaults and lists every bad key at once', () => {
    expect(loadStatsConfig({})).toMatchObject({
      defaultWindowMs: 900_000,
      maxWindowMs: 86_400_000,
      brokerTimeoutMs: 1000,
    });
    expect(config.queues).toEqual([
      'logfaas.parse-log',
      'logfaas.detect-anomaly',
      'logfaas.notify',
      'logfaas.dead-letter',
    ]);
    expect(() =>
      loadStatsConfig({ STATS_MAX_WINDOW: '48h', STATS_DEFAULT_WINDOW: '10s', PORT: 'x' }),
    ).toThrow(/STATS_MAX_WINDOW[\s\S]*STATS_DEFAULT_WINDOW[\s\S]*PORT/);
  });
});

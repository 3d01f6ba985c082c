// statsWrites -> KV -> readStats, against the embedded KV (with a controllable clock) and real Redis.
import { afterEach, describe, expect, it } from 'vitest';
import { clearAndClose, countHashReads } from '../../test/services.js';
import { kvTargets } from '../../test/support/kv-targets.js';
import type { KV } from '../kv/types.js';
import { BucketCache } from './bucket-cache.js';
import {
  bySourceKey,
  CAPS,
  HOUR_MS,
  hourOf,
  KEYS,
  MINUTE_MS,
  minuteKey,
  minuteOf,
  OTHER_LABEL,
  TTL,
  templateHourKey,
} from './keys.js';
import { readStats } from './read.js';
import { statsWrites } from './record.js';
import { anomalyOf, httpEvent, sampleEvent } from './sample-events.js';

const T0 = Date.UTC(2026, 10, 28, 12, 30, 0);
let clock = T0;
const kvs: KV[] = [];
afterEach(async () => {
  await clearAndClose(kvs);
  clock = T0;
});

const targets = await kvTargets('stats', () => clock);

describe.each(targets)('statsWrites + readStats: $name', (target) => {
  if (!target.up) return void it.skip('service not reachable', () => {});
  const newKv = async (): Promise<KV> => {
    const kv = await target.open();
    kvs.push(kv);
    return kv;
  };

  it('counts events, anomalies and breakdowns; rate is 0 (not NaN) when empty', async () => {
    const kv = await newKv();
    const empty = await readStats(kv, { windowMs: 15 * MINUTE_MS, now: clock });
    expect(empty).toMatchObject({ schema: 1, total: 0, anomalies: 0, anomaly_rate: 0 });
    expect(empty.latency.p50_ms).toBeNull();
    expect(JSON.stringify(empty)).not.toContain('NaN');

    const events = [
      httpEvent('GET', '/users/1', 200, 10),
      httpEvent('GET', '/users/2', 200, 20),
      httpEvent('POST', '/orders', 503, 900, { source: 'api' }),
      sampleEvent({ level: 'warn', source: 'worker' }),
    ];
    await kv.apply(statsWrites({ events, anomalies: [anomalyOf(events[2])], now: clock }));
    const doc = await readStats(kv, { windowMs: 15 * MINUTE_MS, now: clock + 1000 });
    expect(doc.total).toBe(4);
    expect(doc.anomalies).toBe(1);
    expect(doc.anomaly_rate).toBe(0.25);
    expect(doc.in_window).toEqual({ events: 4, anomalies: 1, anomaly_rate: 0.25 });
    expect(doc.by_level).toEqual({ info: 2, error: 1, warn: 1 });
    expect(doc.by_source).toEqual({ web: 2, api: 1, worker: 1 });
    expect(doc.by_status_class).toEqual({ '2xx': 2, '5xx': 1 });
    expect(doc.latency.endpoints.map((e) => e.endpoint)).toEqual(['POST /orders', 'GET /users/:id']);
    expect(doc.latency.endpoints[0].errors).toBe(1);
    expect(doc.latency.endpoints[1].count).toBe(2);
    expect(doc.recent_anomalies[0]).toMatchObject({ source: 'api', score: 0.9, reasons: ['rare template'] });
    expect(doc.templates[0]).toMatchObject({ id: 'T1', count: 4, share: 1, template: 'GET /users/<*> <*>' });
    expect(doc.throughput.step_s).toBe(3); // 900 seconds folded into <= 360 points
    expect(doc.throughput.series.reduce((s, p) => s + p.events, 0)).toBe(4);
    expect(doc.storage.kind).toBe(target.name);
    expect(doc.pipeline.status).toBe('unknown');
  });

  it('reads template and latency fields left by older writers next to new ones', async () => {
    const kv = await newKv();
    const key = templateHourKey(hourOf(clock));
    // Older layout: `|t` text and `|s` source, `ln` and `ep|<e>|n` counts.
    await kv.apply([
      {
        op: 'hset',
        key,
        fields: { 'T9|n': '3', 'T9|f': String(clock - 5000), 'T9|l': String(clock - 5000) },
      },
      { op: 'hset', key, fields: { 'T9|t': 'old <*>', 'T9|s': 'legacy' } },
      { op: 'hincrby', key: minuteKey(minuteOf(clock)), field: 'ln', by: 7 },
      { op: 'hincrby', key: minuteKey(minuteOf(clock)), field: 'ep|GET /x|n', by: 7 },
    ]);
    await kv.apply(
      statsWrites({
        events: [httpEvent('GET', '/x', 200, 10, { templateId: 'T9', template: 'new <*>', source: 'web' })],
        anomalies: [],
        now: clock,
      }),
    );
    const doc = await readStats(kv, { windowMs: 15 * MINUTE_MS, now: clock + 1000 });
    expect(doc.templates[0]).toMatchObject({ id: 'T9', count: 4, template: 'old <*>' });
    expect(doc.latency.count).toBe(1);
    expect(doc.latency.endpoints[0]).toMatchObject({ endpoint: 'GET /x', count: 1 });
    const fresh = await newKv();
    await fresh.apply(
      statsWrites({
        events: [httpEvent('GET', '/x', 200, 10, { templateId: 'T9', template: 'a|b <*>', source: 'web' })],
        anomalies: [],
        now: clock,
      }),
    );
    const doc2 = await readStats(fresh, { windowMs: 15 * MINUTE_MS, now: clock + 1000 });
    expect(doc2.templates[0]).toMatchObject({ template: 'a|b <*>', source: 'web' });
  });

  it('merges latency histograms written by two replicas into the right percentiles', async () => {
    const kv = await newKv();
    const a = Array.from({ length: 500 }, (_, i) => httpEvent('GET', '/a', 200, i + 1));
    const b = Array.from({ length: 500 }, (_, i) => httpEvent('GET', '/a', 200, i + 501));
    // Two writers, same minute, interleaved batches.
    await kv.apply(statsWrites({ events: a, anomalies: [], now: clock }), { onceKey: 'w1' });
    await kv.apply(statsWrites({ events: b, anomalies: [], now: clock + 10 }), { onceKey: 'w2' });
    await kv.apply(statsWrites({ events: b, anomalies: [], now: clock + 10 }), { onceKey: 'w2' });
    const doc = await readStats(kv, { windowMs: 5 * MINUTE_MS, now: clock + 20 });
    expect(doc.total).toBe(1000);
    const near = (got: number | null, want: number) =>
      expect(Math.abs(got! - want) / want).toBeLessThan(0.09);
    near(doc.latency.p50_ms, 500);
    near(doc.latency.p95_ms, 950);
    near(doc.latency.p99_ms, 990);
    // Endpoint histograms have half the resolution (2 buckets per doubling): within ~17%.
    expect(Math.abs(doc.latency.endpoints[0].p99_ms! - 990) / 990).toBeLessThan(0.18);
    expect(doc.latency.mean_ms).toBe(500.5);
  });

  it('keeps latency sums as floats, so integer and fractional batches mix', async () => {
    const kv = await newKv();
    for (const ms of [1.5, 2, 3.25, 4]) {
      await kv.apply(statsWrites({ events: [httpEvent('GET', '/f', 200, ms)], anomalies: [], now: clock }));
    }
    const doc = await readStats(kv, { windowMs: MINUTE_MS, now: clock });
    expect(doc.latency.count).toBe(4);
    expect(doc.latency.mean_ms).toBeCloseTo(2.688, 3);
  });

  it('selects the window: old buckets drop out of window counts but not totals', async () => {
    const kv = await newKv();
    await kv.apply(statsWrites({ events: [sampleEvent()], anomalies: [], now: T0 - 3 * HOUR_MS }));
    await kv.apply(
      statsWrites({ events: [sampleEvent(), sampleEvent()], anomalies: [], now: T0 - 30 * MINUTE_MS }),
    );
    await kv.apply(statsWrites({ events: [sampleEvent()], anomalies: [], now: T0 }));
    const w = async (ms: number) => (await readStats(kv, { windowMs: ms, now: T0 })).in_window.events;
    expect(await w(MINUTE_MS)).toBe(1);
    expect(await w(15 * MINUTE_MS)).toBe(1);
    expect(await w(HOUR_MS)).toBe(3);
    expect(await w(2 * HOUR_MS)).toBe(3);
    expect(await w(24 * HOUR_MS)).toBe(4);
    const doc = await readStats(kv, { windowMs: 24 * HOUR_MS, now: T0 });
    expect(doc.total).toBe(4);
    expect(doc.throughput.series.reduce((s, p) => s + p.events, 0)).toBe(4);
    expect(doc.throughput.series.length).toBeLessThanOrEqual(360);
  });

  it('bounds storage: capped lists, per-batch label caps, TTLs on every bucket', async () => {
    const kv = await newKv();
    const evs = Array.from({ length: 300 }, (_, i) =>
      httpEvent('GET', `/p${String.fromCharCode(97 + (i % 26))}${i}x/q`, 200, 5, {
        source: `s${i}`,
        templateId: `T${i}`,
      }),
    );
    const ops = statsWrites({ events: evs, anomalies: evs.map((e) => anomalyOf(e)), now: clock });
    for (const op of ops)
      if (op.op === 'hincrby' && op.key !== KEYS.counters)
        expect(ops.some((o) => o.op === 'expire' && o.key === op.key)).toBe(true);
    await kv.apply(ops);
    expect(await kv.llen(KEYS.recentAnomalies)).toBe(CAPS.recentAnomalies);
    const doc = await readStats(kv, { windowMs: 15 * MINUTE_MS, now: clock });
    expect(Object.keys(doc.by_source)).toHaveLength(CAPS.sourcesPerBatch + 1);
    expect(doc.by_source[OTHER_LABEL]).toBe(300 - CAPS.sourcesPerBatch);
    expect(doc.recent_anomalies).toHaveLength(50);
    expect(doc.recent_anomalies[0].result.event.source).toBe('s299');
    // Aggregates are kept by source: the 20 busiest sources' shares, and the rest's under (other), whose
    // 280 endpoints are cut to the per-batch cap like any share's.
    const m = await kv.hgetall(bySourceKey(minuteKey(minuteOf(clock))));
    expect(await kv.hgetall(minuteKey(minuteOf(clock)))).toEqual({});
    const endpointsOf = (source: string) =>
      Object.keys(m).filter((f) => f.startsWith(`${source}|ep|`) && f.endsWith('|s'));
    expect(endpointsOf(OTHER_LABEL)).toHaveLength(CAPS.endpointsPerBatch + 1);
    expect(endpointsOf('s0')).toHaveLength(1);
    if (!target.fakeClock) return; // Redis expires on its own clock; its TTLs are covered by the KV contract.
    clock += TTL.hour + 1;
    expect(await kv.hgetall(bySourceKey(minuteKey(minuteOf(T0))))).toEqual({});
    expect((await kv.keys('stats:')).sort()).toEqual([KEYS.recentAnomalies, KEYS.counters].sort());
  });

  it('serves closed buckets from the cache and always refetches open ones', async () => {
    const kv = await newKv();
    for (let k = 0; k < 6; k++) {
      await kv.apply(statsWrites({ events: [sampleEvent()], anomalies: [], now: T0 - k * HOUR_MS }));
    }
    const cache = new BucketCache();
    const counting = countHashReads(kv);
    const read = () => readStats(counting.kv, { windowMs: 24 * HOUR_MS, now: T0, cache });
    const cold = await read();
    const coldFetched = counting.fetched;
    counting.fetched = 0;
    await kv.apply(statsWrites({ events: [sampleEvent(), sampleEvent()], anomalies: [], now: T0 }));
    const warm = await read();
    expect(counting.fetched).toBeLessThan(coldFetched / 4);
    expect(warm.in_window.events).toBe(cold.in_window.events + 2);
    expect(warm.total).toBe(8);
    const uncached = await readStats(kv, { windowMs: 24 * HOUR_MS, now: T0 });
    // storage is the live memory of a shared Redis: it moves between two reads.
    expect({ ...warm, took_ms: 0, storage: null }).toEqual({ ...uncached, took_ms: 0, storage: null });
  });

  it('reads dead letters from the counters hash the connector increments', async () => {
    const kv = await newKv();
    await kv.apply([{ op: 'hincrby', key: KEYS.counters, field: 'dead_lettered', by: 3 }]);
    const doc = await readStats(kv, {
      windowMs: MINUTE_MS,
      now: clock,
      broker: { queueStats: async (name) => ({ name, messages: 7, consumers: 2 }) },
      queues: ['logfaas.parse-log'],
    });
    expect(doc.dead_lettered).toBe(3);
    expect(doc.pipeline).toEqual({
      status: 'ok',
      queues: [{ name: 'logfaas.parse-log', messages: 7, consumers: 2 }],
      dead_lettered: 3,
    });
    const down = await readStats(kv, {
      windowMs: MINUTE_MS,
      now: clock,
      broker: { queueStats: () => Promise.reject(new Error('ECONNREFUSED')) },
      queues: ['logfaas.parse-log'],
    });
    expect(down.pipeline.status).toBe('unreachable');
  });

  it('reads 24 h of minute data quickly (printed, not asserted)', async () => {
    const kv = await newKv();
    const start = T0 - 24 * HOUR_MS;
    const batch = [
      ...Array.from({ length: 8 }, (_, i) =>
        httpEvent('GET', `/e${i % 8}/1`, 200, 5 + i * 7, { source: `s${i % 4}`, templateId: `T${i}` }),
      ),
      httpEvent('POST', '/pay', 500, 800),
    ];
    for (let t = start; t <= T0; t += MINUTE_MS) {
      clock = t;
      await kv.apply(statsWrites({ events: batch, anomalies: [anomalyOf(batch[8])], now: t }));
    }
    clock = T0;
    for (let i = 0; i < 3; i++) await readStats(kv, { windowMs: 24 * HOUR_MS, now: T0 }); // JIT warm-up
    const runs: number[] = [];
    let doc = await readStats(kv, { windowMs: 24 * HOUR_MS, now: T0 });
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      doc = await readStats(kv, { windowMs: 24 * HOUR_MS, now: T0 });
      runs.push(performance.now() - t);
    }
    runs.sort((a, b) => a - b);
    console.log(
      `readStats 24h window over ${doc.total} events: median ${runs[3].toFixed(2)} ms, min ${runs[0].toFixed(2)} ms (${target.name})`,
    );
    // Above 1 h the window starts on a ten-minute boundary: here that takes in the batch of exactly 24 h ago.
    expect(doc.in_window.events).toBe(1441 * 9);
    expect(doc.latency.endpoints[0].endpoint).toBe('POST /pay');
  });

  it("caps a multi-line event's stack in the recent anomalies as message and raw are", () => {
    const e = httpEvent('GET', '/a', 500, 5, { stack: `\tat a.B.c(B.java:1)\n`.repeat(2000) });
    const ops = statsWrites({ events: [e], anomalies: [anomalyOf(e)], now: clock });
    const push = ops.find((o) => o.op === 'lpush');
    const stored = JSON.parse(push?.op === 'lpush' ? push.values[0] : '{}');
    expect(stored.event.stack).toHaveLength(CAPS.anomalyTextChars);
    const short = httpEvent('GET', '/a', 500, 5, { stack: 'x' });
    const kept = statsWrites({ events: [short], anomalies: [anomalyOf(short)], now: clock }).find(
      (o) => o.op === 'lpush',
    );
    expect(JSON.parse(kept?.op === 'lpush' ? kept.values[0] : '{}').event.stack).toBe('x');
  });
});

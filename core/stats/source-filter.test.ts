// Views of one source, of real logs only and of simulated ones (#17 item 1): the pure filter, then
// statsWrites -> KV -> readStats against the embedded KV and real Redis.
import { afterEach, describe, expect, it } from 'vitest';
import { clearAndClose } from '../../test/services.js';
import { kvTargets } from '../../test/support/kv-targets.js';
import type { KV } from '../kv/types.js';
import { BucketCache } from './bucket-cache.js';
import type { StatsDoc } from './doc.js';
import { CAPS, HOUR_MS, MINUTE_MS, OTHER_LABEL } from './keys.js';
import { readStats } from './read.js';
import { statsWrites } from './record.js';
import { anomalyOf, httpEvent, sampleEvent } from './sample-events.js';
import { accepts, type SourceFilter, sourceShare } from './source-filter.js';

describe('source filters', () => {
  it.each([
    [{ kind: 'source', source: 'nginx' }, ['nginx'], ['nginx-2', 'sim-web', OTHER_LABEL]],
    [{ kind: 'real' }, ['nginx', 'mysql', 'simulator'], ['sim-web', 'sim-db', OTHER_LABEL]],
    [{ kind: 'simulated' }, ['sim-web', 'sim-api'], ['nginx', OTHER_LABEL]],
  ] as [SourceFilter, string[], string[]][])('%o', (f, yes, no) => {
    for (const s of yes) expect(accepts(f, s), s).toBe(true);
    for (const s of no) expect(accepts(f, s), s).toBe(false);
  });

  it('folds a by-source hash for the sources a view takes, and counts every source', () => {
    const h = {
      'nginx|n': '5',
      'nginx|ep|GET /a|s': '10.5',
      'mysql|n': '2',
      'sim-web|n': '7',
      'sim-web|ep|GET /a|s': '3',
      '(other)|n': '4',
    };
    const real = sourceShare(h, { kind: 'real' });
    expect(real.fields).toEqual({ n: '7', 'ep|GET /a|s': '10.5' });
    expect([...real.events]).toEqual([
      ['nginx', 5],
      ['mysql', 2],
      ['sim-web', 7],
    ]);
    expect(sourceShare(h, { kind: 'source', source: 'sim-web' }).fields).toEqual({
      n: '7',
      'ep|GET /a|s': '3',
    });
  });
});

const T0 = Date.UTC(2026, 10, 28, 12, 30, 0);
let clock = T0;
const kvs: KV[] = [];
afterEach(async () => {
  await clearAndClose(kvs);
  clock = T0;
});
const targets = await kvTargets('filter', () => clock);

describe.each(targets)('filtered stats views: $name', (target) => {
  if (!target.up) return void it.skip('service not reachable', () => {});

  /** One mixed batch: the simulation's slow search endpoint, nginx's 500s and MySQL's errors. */
  async function seed(): Promise<KV> {
    const kv = await target.open();
    kvs.push(kv);
    const at = (ms: number) => new Date(ms).toISOString();
    const sim = Array.from({ length: 6 }, (_, i) =>
      httpEvent('GET', '/api/v1/search', 200, 900 + i, {
        source: 'sim-api',
        templateId: 'S1',
        template: 'GET /api/v1/search <*>',
        timestamp: at(T0 - 1000),
      }),
    );
    const nginx = Array.from({ length: 4 }, (_, i) =>
      httpEvent('GET', '/err500', 500, 5 + i, {
        source: 'nginx',
        templateId: 'N1',
        template: 'GET /err500 <*>',
        timestamp: at(T0 - 3000 + i),
      }),
    );
    const mysql = [
      sampleEvent({ source: 'mysql', level: 'error', templateId: 'M1', template: 'Aborted connection <*>' }),
    ];
    const events = [...sim, ...nginx, ...mysql];
    const anomalies = [anomalyOf(sim[0]), anomalyOf(nginx[0]), anomalyOf(mysql[0])];
    await kv.apply(statsWrites({ events, anomalies, now: T0 - 2 * MINUTE_MS }));
    // Another batch in an earlier hour, so windows mix closed and open buckets.
    await kv.apply(statsWrites({ events: nginx.slice(0, 1), anomalies: [], now: T0 - HOUR_MS }));
    return kv;
  }

  const read = (kv: KV, filter?: SourceFilter, cache?: BucketCache, windowMs = 15 * MINUTE_MS) =>
    readStats(kv, { windowMs, now: T0, filter, cache });
  const seriesSum = (d: StatsDoc) => d.throughput.series.reduce((s, p) => s + p.events, 0);

  it('all, one source, real only and simulated only each count their own events everywhere', async () => {
    const kv = await seed();
    const all = await read(kv);
    expect(all.in_window.events).toBe(11);
    expect(all.filter).toEqual({ source: null, only: null });
    expect(all.sources).toEqual([
      { name: 'sim-api', events: 6, simulated: true },
      { name: 'nginx', events: 4, simulated: false },
      { name: 'mysql', events: 1, simulated: false },
    ]);

    const real = await read(kv, { kind: 'real' });
    expect(real.filter).toEqual({ source: null, only: 'real' });
    expect(real.in_window).toMatchObject({ events: 5, anomalies: 2 });
    expect(real.by_source).toEqual({ nginx: 4, mysql: 1 });
    expect(real.sources).toEqual(all.sources); // the selector still lists every source
    expect(real.latency.endpoints.map((e) => e.endpoint)).toEqual(['GET /err500']);
    expect(real.latency.count).toBe(4);
    expect(real.by_status_class).toEqual({ '5xx': 4 });
    expect(seriesSum(real)).toBe(5);
    expect(real.templates.map((t) => t.id).sort()).toEqual(['M1', 'N1']);
    expect(real.recent_anomalies.map((a) => a.source).sort()).toEqual(['mysql', 'nginx']);

    const sim = await read(kv, { kind: 'simulated' });
    expect(sim.in_window.events).toBe(6);
    expect(sim.latency.endpoints.map((e) => e.endpoint)).toEqual(['GET /api/v1/search']);
    expect(sim.recent_anomalies.map((a) => a.source)).toEqual(['sim-api']);

    const nginx = await read(kv, { kind: 'source', source: 'nginx' });
    expect(nginx.filter).toEqual({ source: 'nginx', only: null });
    expect(nginx.in_window).toMatchObject({ events: 4, anomalies: 1 });
    expect(nginx.by_level).toEqual({ error: 4 });
    expect(nginx.templates.map((t) => t.id)).toEqual(['N1']);
    const day = await read(kv, { kind: 'source', source: 'nginx' }, undefined, 24 * HOUR_MS);
    expect(day.in_window.events).toBe(5);
  });

  it('a cache shared by views keeps each view apart', async () => {
    const kv = await seed();
    const cache = new BucketCache();
    for (let i = 0; i < 2; i++) {
      expect((await read(kv, undefined, cache, 24 * HOUR_MS)).in_window.events).toBe(12);
      expect((await read(kv, { kind: 'real' }, cache, 24 * HOUR_MS)).in_window.events).toBe(6);
      expect((await read(kv, { kind: 'simulated' }, cache, 24 * HOUR_MS)).in_window.events).toBe(6);
    }
  });

  it('recent anomalies are sorted by the event time they show', async () => {
    const kv = await target.open();
    kvs.push(kv);
    // Detected in this order, with event times 04:05:31, 04:05:40, 04:05:35 (the example).
    const times = ['04:05:31', '04:05:40', '04:05:35', 'not a time'];
    for (const [i, hms] of times.entries()) {
      const e = sampleEvent({ message: `m${i}`, timestamp: hms.includes(':') ? `2026-11-28T${hms}Z` : hms });
      await kv.apply(statsWrites({ events: [e], anomalies: [anomalyOf(e)], now: T0 - 60_000 + i }));
    }
    const doc = await read(kv);
    expect(doc.recent_anomalies.map((a) => a.message)).toEqual(['m1', 'm2', 'm0', 'm3']);
  });

  it('by-source hashes stay within their cap under a flood of source names; totals still add up', async () => {
    const kv = await target.open();
    kvs.push(kv);
    for (let b = 0; b < 60; b++) {
      const events = Array.from({ length: CAPS.sourcesPerBatch }, (_, i) =>
        httpEvent('GET', `/p${i}`, 200, 5, { source: `flood-${b}-${i}` }),
      );
      await kv.apply(statsWrites({ events, anomalies: [], now: T0 - MINUTE_MS }));
    }
    let largest = 0;
    for (const key of await kv.keys('stats:src:')) {
      const n = Object.keys(await kv.hgetall(key)).length;
      largest = Math.max(largest, n);
      // Plus the overflow fields, a fixed set: `(other)|` + an unlabelled field or `ep|(other)|…`.
      expect(n, key).toBeLessThanOrEqual(CAPS.bySourceFields + 300);
    }
    expect(largest).toBeGreaterThanOrEqual(CAPS.bySourceFields); // the flood did reach the cap
    const all = await read(kv);
    expect(all.in_window.events).toBe(60 * CAPS.sourcesPerBatch);
    const real = await read(kv, { kind: 'real' });
    expect(real.in_window.events).toBeGreaterThan(0);
    expect(real.in_window.events).toBeLessThanOrEqual(all.in_window.events);
  });
});

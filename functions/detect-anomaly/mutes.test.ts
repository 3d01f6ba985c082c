// Mutes as detect-anomaly applies them: two replicas on one KV, a mute set through the store, both stop
// reporting that template within the refresh while its events are still counted.
import { describe, expect, it } from 'vitest';
import type { AnomalyResult, LogEvent } from '../../core/event.js';
import { readIncidents } from '../../core/incident.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV } from '../../core/kv/types.js';
import { silentLogger } from '../../core/log.js';
import { addMute, removeMute } from '../../core/mutes/store.js';
import { KEYS } from '../../core/stats/keys.js';
import { sampleEvent } from '../../core/stats/sample-events.js';
import { DEFAULT_DETECT } from './config.js';
import { createDetectAnomalyHandler } from './handler.js';
import { createMuteCache } from './mutes.js';

const T0 = Date.UTC(2026, 11, 7);

function batch(n: number, at: number): LogEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const error = i % 10 === 0;
    return sampleEvent({
      timestamp: new Date(at + i).toISOString(),
      source: 'api',
      level: error ? 'error' : 'info',
      templateId: error ? 'tErr' : 'tOk',
      template: error ? 'db timeout <*>' : 'GET <*> 200',
      message: error ? `db timeout ${i}` : `GET /x/${i} 200`,
      raw: error ? `db timeout ${i}` : `GET /x/${i} 200`,
    });
  });
}

async function post(h: (r: Request) => Promise<Response>, events: LogEvent[]): Promise<AnomalyResult[]> {
  const res = await h(
    new Request('http://x/', { method: 'POST', body: events.map((e) => JSON.stringify(e)).join('\n') }),
  );
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AnomalyResult);
}

const counters = async (kv: KV) => {
  const c = await kv.hgetall(KEYS.counters);
  return { total: Number(c.total), anomalies: Number(c.anomalies) };
};

describe('detect-anomaly mutes', () => {
  it('two replicas stop reporting a muted template within the refresh; its events are still counted', async () => {
    const kv = await createMemoryKv();
    let now = T0;
    // Every error line is news on its own (LEVEL_RATE=1), so the count of reported lines is exact.
    const config = { ...DEFAULT_DETECT, minTraining: 1_000_000, levelRate: 1, levelRoutine: 1e9 };
    const replica = () =>
      createDetectAnomalyHandler({ kv, config, logger: silentLogger, now: () => now, muteRefreshMs: 2000 });
    const [a, b] = [replica(), replica()];
    expect((await post(a, batch(100, now))).length).toBe(10);
    expect((await post(b, batch(100, now))).length).toBe(10);
    await addMute(kv, { source: 'api', templateId: 'tErr', forMs: 60_000 }, { now });
    // Within the refresh a replica may still use the list it has; after it, both apply the mute.
    now += 2001;
    expect(await post(a, batch(100, now))).toEqual([]);
    expect(await post(b, batch(100, now))).toEqual([]);
    expect(await counters(kv)).toEqual({ total: 400, anomalies: 20 });
    // The same template of another source is not muted.
    expect(
      (
        await post(
          a,
          batch(10, now).map((e) => ({ ...e, source: 'web' })),
        )
      ).length,
    ).toBe(1);
    // Unmuted (or expired): reported again after the refresh.
    await removeMute(kv, 'api', 'tErr', now);
    now += 2001;
    expect((await post(b, batch(100, now))).length).toBe(10);
    await addMute(kv, { source: 'api', templateId: 'tErr', forMs: 5000 }, { now });
    now += 2001;
    expect(await post(a, batch(100, now))).toEqual([]);
    now += 5000;
    expect((await post(a, batch(100, now))).length).toBe(10);
    await kv.close();
  });

  it('opens no incident of a muted template (a source-level one still opens)', async () => {
    const kv = await createMemoryKv();
    const now = T0 + 300_000;
    const handler = createDetectAnomalyHandler({
      kv,
      config: { ...DEFAULT_DETECT, minTraining: 1_000_000 },
      logger: silentLogger,
      now: () => now,
    });
    await addMute(kv, { source: 'api', templateId: 'tNew' }, { now });
    // 10 events/s: 250 s of one normal template (past the warm-up), then 10 s of a new error template.
    const events = Array.from({ length: 2600 }, (_, i) => {
      const bad = i >= 2500;
      return sampleEvent({
        timestamp: new Date(T0 + i * 100).toISOString(),
        source: 'api',
        level: bad ? 'error' : 'info',
        templateId: bad ? 'tNew' : 'tOk',
        template: bad ? 'upstream timed out' : 'GET <*> 200',
        message: bad ? 'upstream timed out' : `GET /x/${i} 200`,
        raw: bad ? 'upstream timed out' : `GET /x/${i} 200`,
      });
    });
    for (let b = 0; b < events.length; b += 500) await post(handler, events.slice(b, b + 500));
    const incidents = await readIncidents(kv, { now, quietMs: Number.POSITIVE_INFINITY });
    expect(incidents.filter((x) => x.templateId === 'tNew' || x.templateIds?.includes('tNew'))).toEqual([]);
    // Mutes cover templates, not the source's error rate (docs/detect-anomaly.md, Muting).
    expect(incidents.map((x) => x.kind)).toContain('error_rate');
    await kv.close();
  });

  it('keeps the last list when the KV fails after a first read, fails the batch before one', async () => {
    const kv = await createMemoryKv();
    await addMute(kv, { source: 'api', templateId: 'tErr' }, { now: T0 });
    let broken = false;
    const flaky = {
      ...kv,
      get: (k: string) => (broken ? Promise.reject(new Error('kv down')) : kv.get(k)),
    } as KV;
    const cache = createMuteCache(flaky, { logger: silentLogger, refreshMs: 10 });
    expect((await cache.current(T0)).has('api', 'tErr')).toBe(true);
    broken = true;
    expect((await cache.current(T0 + 100)).has('api', 'tErr')).toBe(true);
    await expect(createMuteCache(flaky, { logger: silentLogger }).current(T0)).rejects.toThrow('kv down');
    await kv.close();
  });
});

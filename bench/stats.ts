// Bench section: GET /function/stats?window=24h over real Redis holding 24 h of busy data
// (one batch a minute of 200 events over 50 endpoints, 40 templates, 4 sources), through the server
// adapter as the function runs. Prints the first answer of a process without warm-up, the first answer
// after the start-up warm-up main.ts does (the first a client sees), and p50/p99 of the next 50.
import { serve } from '../core/http/serve.js';
import { clearKv } from '../core/kv/clear.js';
import { createRedisKv } from '../core/kv/redis.js';
import { silentLogger } from '../core/log.js';
import { statsWrites } from '../core/stats/record.js';
import { anomalyOf, httpEvent } from '../core/stats/sample-events.js';
import { loadStatsConfig } from '../functions/stats/config.js';
import { createStatsHandler } from '../functions/stats/handler.js';
import { redisUrl } from '../test/services.js';
import type { BenchSection } from './section.js';

const REDIS = redisUrl();
const MINUTE = 60_000;

export const statsBench: BenchSection = async ({ quick, log }) => {
  const kv = await createRedisKv({ url: REDIS, prefix: `bench-stats-${process.pid}:`, logger: silentLogger });
  const now = Date.now();
  const batch = Array.from({ length: 200 }, (_, i) =>
    httpEvent(i % 5 ? 'GET' : 'POST', `/api/e${i % 50}/${i}`, i % 97 ? 200 : 503, 5 + ((i * 37) % 400), {
      source: `s${i % 4}`,
      templateId: `T${i % 40}`,
      template: `template ${i % 40} <*>`,
    }),
  );
  const minutes = quick ? 6 * 60 : 24 * 60;
  for (let m = minutes; m >= 0; m--) {
    const t = now - m * MINUTE;
    await kv.apply(statsWrites({ events: batch, anomalies: [anomalyOf(batch[0])], now: t }));
  }
  const start = async (warm: boolean) => {
    const handler = createStatsHandler({ kv, config: loadStatsConfig({}) });
    // As functions/stats/main.ts does before listening: fill the closed-bucket cache.
    if (warm) await handler.warm();
    const server = await serve(handler, {
      port: 0,
      host: '127.0.0.1',
      maxBodyBytes: 1024,
      maxInflight: 64,
      timeoutMs: 10_000,
    });
    const get = async (path = '/?window=24h') => {
      const t = performance.now();
      const r = await fetch(`${server.url}${path}`);
      await r.arrayBuffer();
      return performance.now() - t;
    };
    // The client's own first-use cost (undici loads lazily, the connection opens) is not the stats answer.
    await get('/_/health');
    return { server, get };
  };
  // First a process with nothing cached (the answer main.ts would give without its warm-up), then the
  // function as main.ts runs it: warm-up before listening, first answer, then 50 more.
  const bare = await start(false);
  const unwarmed = await bare.get();
  await bare.server.close();
  const { server, get } = await start(true);
  const cold = await get();
  const runs: number[] = [];
  for (let i = 0; i < 50; i++) runs.push(await get());
  runs.sort((a, b) => a - b);
  const p = (q: number) => runs[Math.min(runs.length - 1, Math.floor(q * runs.length))];
  await server.close();
  await clearKv(kv);
  await kv.close();
  const figures = {
    stats_24h_unwarmed_ms: Math.round(unwarmed * 10) / 10,
    stats_24h_cold_ms: Math.round(cold * 10) / 10,
    stats_24h_p50_ms: Math.round(p(0.5) * 10) / 10,
    stats_24h_p99_ms: Math.round(p(0.99) * 10) / 10,
  };
  log(
    `  stats over ${minutes / 60} h of data: without warm-up ${figures.stats_24h_unwarmed_ms} ms; after warm-up first ${figures.stats_24h_cold_ms} ms, p50 ${figures.stats_24h_p50_ms} ms, p99 ${figures.stats_24h_p99_ms} ms`,
  );
  return {
    figures,
    lines: [
      `stats GET window=24h (${minutes / 60} h of data, ${(minutes + 1) * 200} events, real Redis): first ${figures.stats_24h_cold_ms} ms after the start-up warm-up (${figures.stats_24h_unwarmed_ms} ms without), then p50 ${figures.stats_24h_p50_ms} ms, p99 ${figures.stats_24h_p99_ms} ms`,
    ],
  };
};

// Bench section: search over the store as 24 h at 10,000 lines/s leave it (real Redis). 24 h at that rate
// is 864 M lines, far past SEARCH_MAX_BYTES, so the store holds its byte bound's worth: the newest
// chunks, 2,000-line batches of the eight Loghub-2k logs as sources, event times spread over the 24 h.
// Measures: indexing CPU per line in the pipeline process (building the chunks and encoding the apply,
// plus Redis's own CPU), and the latency of typical searches through the server adapter (p50/p99).
import { Redis } from 'ioredis';
import { serve } from '../core/http/serve.js';
import { clearKv } from '../core/kv/clear.js';
import { createRedisKv } from '../core/kv/redis.js';
import { silentLogger } from '../core/log.js';
import { DEFAULT_SEARCH_STORE } from '../core/search/config.js';
import { searchWrites } from '../core/search/store.js';
import { Secret } from '../core/secrets.js';
import { sampleEvent } from '../core/stats/sample-events.js';
import { loadLoghub } from '../eval/loghub.js';
import { DEFAULT_SCAN_BYTES } from '../functions/search/config.js';
import { createSearchHandler } from '../functions/search/handler.js';
import { redisUrl } from '../test/services.js';
import type { BenchSection } from './section.js';

const REDIS = redisUrl();
const DAY = 86_400_000;
const BATCH = 2000;
const LEVELS = ['info', 'info', 'info', 'info', 'debug', 'warn', 'error'] as const;

export const searchBench: BenchSection = async ({ quick, log }) => {
  const kv = await createRedisKv({
    url: REDIS,
    prefix: `bench-search-${process.pid}:`,
    logger: silentLogger,
  });
  const maxBytes = quick ? 64 * 1024 * 1024 : DEFAULT_SEARCH_STORE.maxBytes;
  const config = { ...DEFAULT_SEARCH_STORE, maxBytes };
  const lines = loadLoghub().flatMap((d) =>
    d.lines.map((raw, i) => ({ source: d.name, raw, t: d.eventIds[i] })),
  );
  const events = lines.map((l, i) =>
    sampleEvent({
      source: l.source,
      raw: l.raw,
      message: l.raw,
      templateId: l.t,
      level: LEVELS[i % LEVELS.length],
    }),
  );
  const now = Date.now();
  // Batches as the producer makes them: 2,000 consecutive lines of one source.
  const batches: (typeof events)[] = [];
  for (let i = 0; i + BATCH <= events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));
  const bytesPerBatch =
    batches.reduce((n, b) => n + b.reduce((m, e) => m + e.raw.length + 30, 0), 0) / batches.length;
  const nBatches = Math.ceil((maxBytes * 1.05) / bytesPerBatch);
  log(`search: writing ${nBatches} batches of ${BATCH} lines (${Math.round(maxBytes / 2 ** 20)} MB bound)`);

  // Indexing: CPU of this process building the chunks and applying the writes, and Redis's own (INFO:
  // the whole server's, so other clients of a shared Redis count too: an upper bound).
  const probe = new Redis(REDIS, { lazyConnect: false });
  const redisCpu = async () => {
    const text = await probe.info('cpu');
    const v = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(text)?.[1] ?? Number.NaN);
    return v('used_cpu_user') + v('used_cpu_sys');
  };
  const redis0 = await redisCpu();
  let buildCpu = 0;
  const cpu0 = process.cpuUsage();
  for (let b = 0; b < nBatches; b++) {
    const batch = batches[b % batches.length];
    // Event times: the whole 24 h at 10,000 lines/s, this batch's slot of it.
    const start = now - DAY + Math.floor((b / nBatches) * DAY);
    const times = batch.map((_, i) => start + Math.floor(i / 10));
    const c = process.cpuUsage();
    const ops = searchWrites(batch, times, { now: now - nBatches + b, config });
    const d = process.cpuUsage(c);
    buildCpu += d.user + d.system;
    await kv.apply(ops);
  }
  const all = process.cpuUsage(cpu0);
  const redisUs = ((await redisCpu()) - redis0) * 1e6;
  probe.disconnect();
  const linesWritten = nBatches * BATCH;
  const buildUs = buildCpu / linesWritten;
  const applyUs = (all.user + all.system) / linesWritten;
  const redisUsPerLine = redisUs / linesWritten;

  const password = 'bench';
  const handler = createSearchHandler({
    kv,
    config: {
      searchStore: config,
      maxScanBytes: DEFAULT_SCAN_BYTES,
      bucketMs: 10_000,
      admin: { user: 'admin', password: new Secret(password) },
    },
  });
  const server = await serve(handler, {
    port: 0,
    host: '127.0.0.1',
    maxBodyBytes: 1024,
    maxInflight: 64,
    timeoutMs: 30_000,
  });
  const auth = { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
  const get = async (q: string) => {
    const t = performance.now();
    const r = await fetch(`${server.url}/?${q}`, { headers: auth });
    const body = (await r.json()) as {
      hits: unknown[];
      next_cursor: string | null;
      scanned: { bytes: number };
    };
    return { ms: performance.now() - t, body };
  };
  await fetch(`${server.url}/_/health`);
  const newest =
    events
      .find((e) => e.source === 'OpenSSH')
      ?.raw.split(' ')
      .slice(-2)
      .join(' ') ?? 'session';
  const queries: [string, string][] = [
    ['common text, newest 100', 'q=error&limit=100'],
    ['source + level', 'source=HDFS&level=warn,error&limit=100'],
    ['source + text', `source=OpenSSH&q=${encodeURIComponent(newest)}&limit=100`],
    ['last 15 min', `from=${now - 900_000}&limit=100`],
    ['rare text (absent): one budgeted page', 'q=zq-absent-needle-77&limit=100'],
  ];
  const perQuery: Record<string, number> = {};
  const everything: number[] = [];
  const lines_: string[] = [];
  const runs = quick ? 10 : 30;
  for (const [name, q] of queries) {
    await get(q);
    const ms: number[] = [];
    let hits = 0;
    let scanned = 0;
    for (let i = 0; i < runs; i++) {
      const r = await get(q);
      ms.push(r.ms);
      hits = r.body.hits.length;
      scanned = r.body.scanned.bytes;
    }
    ms.sort((a, b) => a - b);
    everything.push(...ms);
    const p99 = ms[Math.min(ms.length - 1, Math.floor(0.99 * ms.length))];
    perQuery[name] = Math.round(p99 * 10) / 10;
    lines_.push(
      `  ${name}: p50 ${ms[Math.floor(ms.length / 2)].toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (${hits} hits, ${(scanned / 2 ** 20).toFixed(1)} M chars read)`,
    );
  }
  // A full scan for an absent text, following the cursor to the end.
  const t = performance.now();
  let pages = 0;
  let cursor: string | null = '';
  while (cursor !== null && pages < 1000) {
    const r = await get(`q=zq-absent-needle-77&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    cursor = r.body.next_cursor;
    pages++;
  }
  const fullScanMs = performance.now() - t;
  everything.sort((a, b) => a - b);
  const p99All = everything[Math.min(everything.length - 1, Math.floor(0.99 * everything.length))];
  const info = await kv.info();
  await server.close();
  await clearKv(kv);
  await kv.close();
  const figures = {
    search_index_cpu_us_per_line: Math.round(applyUs * 100) / 100,
    search_index_build_cpu_us_per_line: Math.round(buildUs * 100) / 100,
    search_index_redis_cpu_us_per_line: Math.round(redisUsPerLine * 100) / 100,
    search_p99_ms: Math.round(p99All * 10) / 10,
    search_full_scan_ms: Math.round(fullScanMs),
    search_full_scan_pages: pages,
    search_store_lines: linesWritten,
    search_redis_used_mb: Math.round(info.usedBytes / 2 ** 20),
    search_p99_by_query_ms: perQuery,
  };
  return {
    figures,
    lines: [
      `search (real Redis, ${Math.round(maxBytes / 2 ** 20)} MB bound filled: ${linesWritten.toLocaleString('en-US')} lines written, event times over 24 h): p99 ${figures.search_p99_ms} ms over ${queries.length} query kinds x ${runs}`,
      ...lines_,
      `  an absent text over the whole store, following the cursor: ${figures.search_full_scan_ms} ms in ${pages} requests`,
      `  indexing in the pipeline process: ${figures.search_index_cpu_us_per_line} CPU us/line (building the chunks ${figures.search_index_build_cpu_us_per_line}, the rest encoding and sending the apply); Redis ${figures.search_index_redis_cpu_us_per_line} CPU us/line (whole server: an upper bound on a shared one)`,
    ],
  };
};

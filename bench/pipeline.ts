// Bench section: the whole pipeline on this machine. Every component a separate process (as in
// docker-compose) against real RabbitMQ and Redis, then the embedded one-process mode; plus the raw
// capacity of the building blocks measured in the same run, so the pipeline reads as a fraction of it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAmqpBroker } from '../core/broker/amqp.js';
import { namespaced } from '../core/broker/namespace.js';
import { serve } from '../core/http/serve.js';
import { clearKv } from '../core/kv/clear.js';
import { createRedisKv } from '../core/kv/redis.js';
import { silentLogger } from '../core/log.js';
import { Secret } from '../core/secrets.js';
import { dropNamespace } from '../runner/drop-namespace.js';
import { freePort } from '../runner/free-port.js';
import {
  EMBEDDED_NODE_ARGS,
  type ProcessStack,
  type ProcessStackOptions,
  RUNTIME_ENV,
  startProcessStack,
} from '../runner/processes.js';
import { waitForHttp } from '../runner/wait.js';
import { mixedLines } from '../test/e2e/lines.js';
import type { BenchSection } from './section.js';

const REDIS = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const AMQP = process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';
// `AMQP_QUEUE_TYPE=quorum npm run bench`: the broker figure and every process of the stack on quorum queues.
const QUORUM = process.env.AMQP_QUEUE_TYPE === 'quorum';
const QUEUE_ENV: Record<string, string> = QUORUM ? { AMQP_QUEUE_TYPE: 'quorum' } : {};
const REQUEST_LINES = 5_000;
// Every stats poll is an HTTP call through the gateway plus a readStats against Redis: at the old 20 ms
// (5 ms while measuring freshness) the measurement itself took a visible share of the two cores and of
// Redis. 50 ms bounds the end-time error of a multi-second run to ~1%; freshness keeps a finer 20 ms.
const DRAIN_POLL_MS = 50;
const FRESHNESS_POLL_MS = 20;

const rssMb = (pid: number | undefined): number => {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
};
/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
const cpuSeconds = (pid: number | undefined): number => {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
};
/** RabbitMQ's and Redis's processes on this machine, so the bench can count their CPU too. */
function servicePids(): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const comm = readFileSync(`/proc/${d}/comm`, 'utf8').trim();
      if (comm === 'beam.smp') out.set('rabbitmq', Number(d));
      else if (comm === 'redis-server') out.set('redis', Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
/** CPU seconds of every process in `pids` from now until the returned function is called. */
function cpuMeter(pids: Map<string, number>): () => Record<string, number> {
  const start = new Map([...pids].map(([k, pid]) => [k, cpuSeconds(pid)]));
  return () => Object.fromEntries([...pids].map(([k, pid]) => [k, cpuSeconds(pid) - (start.get(k) ?? 0)]));
}
const per50k = (cpu: Record<string, number>, lines: number) =>
  Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, +((v * 50_000) / lines).toFixed(2)]));
const sum = (r: Record<string, number>) =>
  +Object.values(r)
    .reduce((a, b) => a + b, 0)
    .toFixed(2);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function statsTotal(gateway: string): Promise<number> {
  const r = await fetch(`${gateway}/function/stats?window=1m`);
  return ((await r.json()) as { total: number }).total;
}

/** Sends `lines` as fast as the producer confirms them; returns lines/s from first send to stats-visible
 * (or to whatever `visible` counts). */
async function sustained(
  gateway: string,
  lines: string[],
  source: string,
  concurrency = 3,
  visible: () => Promise<number> = () => statsTotal(gateway),
): Promise<number> {
  const base = await visible();
  const chunks: string[] = [];
  for (let i = 0; i < lines.length; i += REQUEST_LINES)
    chunks.push(lines.slice(i, i + REQUEST_LINES).join('\n'));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < chunks.length) {
        const body = chunks[next++];
        const r = await fetch(`${gateway}/function/producer?source=${source}`, { method: 'POST', body });
        if (!r.ok) throw new Error(`producer answered ${r.status}: ${await r.text()}`);
      }
    }),
  );
  while ((await visible()) < base + lines.length) {
    if (performance.now() - t0 > 300_000) throw new Error('pipeline did not drain within 5 minutes');
    await sleep(DRAIN_POLL_MS);
  }
  return lines.length / ((performance.now() - t0) / 1000);
}

/** Batches of 500 lines at `rate` lines/s for `seconds`; latency from producer accept to stats-visible. */
async function freshness(gateway: string, rate: number, seconds: number, source: string): Promise<number[]> {
  const batch = 500;
  const { lines } = mixedLines(batch, 99);
  const body = lines.join('\n');
  const base = await statsTotal(gateway);
  const accepted: { at: number; cum: number }[] = [];
  let sent = 0;
  let stop = false;
  const lat: number[] = [];
  const watcher = (async () => {
    let i = 0;
    while (!stop || i < accepted.length) {
      const total = (await statsTotal(gateway)) - base;
      const now = performance.now();
      while (i < accepted.length && accepted[i].cum <= total) lat.push(now - accepted[i++].at);
      await sleep(FRESHNESS_POLL_MS);
      if (stop && now - (accepted.at(-1)?.at ?? now) > 30_000) break;
    }
  })();
  const interval = (batch / rate) * 1000;
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let k = 0; performance.now() - t0 < seconds * 1000; k++) {
    const due = t0 + k * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push(
      fetch(`${gateway}/function/producer?source=${source}`, { method: 'POST', body }).then(async (r) => {
        await r.arrayBuffer();
        sent += batch;
        accepted.push({ at: performance.now(), cum: sent });
        accepted.sort((a, b) => a.cum - b.cum);
      }),
    );
  }
  await Promise.all(inflight);
  stop = true;
  await watcher;
  return lat;
}

async function buildingBlocks(log: (l: string) => void) {
  const { lines } = mixedLines(500, 5);
  const body = new TextEncoder().encode(lines.join('\n'));
  // RabbitMQ: publish with confirms and consume+ack, same message size as a producer batch.
  const ns = `bench-${process.pid}`;
  const queues = QUORUM ? ({ type: 'quorum', deliveryLimit: 10 } as const) : undefined;
  const broker = namespaced(await connectAmqpBroker({ url: AMQP, logger: silentLogger, queues }), ns);
  await broker.declareQueue({ name: 'bench.q', topics: ['bench.t'] });
  const n = 2_000;
  let got = 0;
  const done = new Promise<void>((resolve) => {
    void broker.consume(
      'bench.q',
      async (d) => {
        await d.ack();
        if (++got === n) resolve();
      },
      { prefetch: 64 },
    );
  });
  const t0 = performance.now();
  const pubs: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    pubs.push(broker.publish('bench.t', body, { messageId: `b${i}` }));
    if (pubs.length >= 64) await Promise.all(pubs.splice(0));
  }
  await Promise.all(pubs);
  await done;
  const amqpLines = (n * 500) / ((performance.now() - t0) / 1000);
  await broker.close();
  await dropNamespace({ amqpUrl: AMQP, ns, queues: ['bench.q'] });
  log(`  rabbitmq publish+consume, 500-line messages: ${Math.round(amqpLines).toLocaleString()} lines/s`);

  // Redis: one atomic apply per batch, as detect-anomaly does (idempotency key + ~30 writes).
  const kv = await createRedisKv({ url: REDIS, prefix: `bench-${process.pid}:`, logger: silentLogger });
  const ops = Array.from({ length: 30 }, (_, i) => ({
    op: 'hincrby' as const,
    key: `h${i % 5}`,
    field: `f${i}`,
    by: 1,
  }));
  const m = 3_000;
  const t1 = performance.now();
  const applies: Promise<boolean>[] = [];
  for (let i = 0; i < m; i++) {
    applies.push(kv.apply(ops, { onceKey: `once-${i}`, onceTtlMs: 60_000 }));
    if (applies.length >= 16) await Promise.all(applies.splice(0));
  }
  await Promise.all(applies);
  const redisApplies = m / ((performance.now() - t1) / 1000);
  await clearKv(kv);
  await kv.close();
  log(
    `  redis atomic batch apply (30 writes + idempotency key): ${Math.round(redisApplies).toLocaleString()} batches/s`,
  );

  // One HTTP hop with a 500-line body.
  const s = await serve(async (r) => new Response(String((await r.arrayBuffer()).byteLength)), {
    port: 0,
    host: '127.0.0.1',
    maxBodyBytes: 1e7,
    maxInflight: 1000,
    timeoutMs: 10_000,
  });
  const k = 3_000;
  const t2 = performance.now();
  let i = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (i++ < k) await (await fetch(s.url, { method: 'POST', body })).arrayBuffer();
    }),
  );
  const httpLines = (k * 500) / ((performance.now() - t2) / 1000);
  await s.close();
  log(`  one HTTP hop, 500-line body: ${Math.round(httpLines).toLocaleString()} lines/s`);
  return {
    amqp_lines_per_sec: Math.round(amqpLines),
    redis_batches_per_sec: Math.round(redisApplies),
    http_hop_lines_per_sec: Math.round(httpLines),
  };
}

/** Every component a process on the real RabbitMQ and Redis, in a namespace of its own. */
async function benchStack(
  scale: Pick<ProcessStackOptions, 'replicas' | 'connectors' | 'bundles' | 'envFor'> = {},
): Promise<ProcessStack> {
  const ns = `bench-${process.pid}-${Date.now().toString(36)}`;
  const stack = await startProcessStack({
    root: process.cwd(),
    redisUrl: REDIS,
    amqpUrl: AMQP,
    adminPassword: new Secret('bench-password'),
    gatewayPort: 0,
    dashboardPort: 0,
    dataDir: mkdtempSync(join(tmpdir(), 'logfaas-bench-')),
    logger: silentLogger,
    ...scale,
    env: { REDIS_PREFIX: `${ns}:`, BROKER_NAMESPACE: ns, ...QUEUE_ENV },
  });
  return {
    ...stack,
    async stop() {
      await stack.stop();
      await dropNamespace({ redisUrl: REDIS, amqpUrl: AMQP, ns });
    },
  };
}

/** The same burst through two replicas of every function and two connectors (competing consumers). */
async function scaledOut(lines: string[], log: (l: string) => void) {
  const stack = await benchStack({ replicas: 2, connectors: 2 });
  try {
    await sleep(1500);
    const rate = await sustained(stack.gatewayUrl, lines, 'bench');
    log(`  2 replicas + 2 connectors: ${Math.round(rate).toLocaleString()} lines/s end to end`);
    return { e2e_lines_per_sec_2_replicas: Math.round(rate) };
  } finally {
    await stack.stop();
  }
}

/**
 * The chain without the work: the same producer, RabbitMQ, connector, gateway hops and one atomic
 * Redis apply per batch, with stand-ins in parse-log's and detect-anomaly's places that pass the batch
 * on and count it (bench/null-function.ts). What this costs, every pipeline on this design pays.
 */
const childPids = (stack: ProcessStack) =>
  new Map([...stack.supervisor.children.values()].map((c) => [c.name, c.pid() ?? 0]));
/** Lines/s this machine's cores could carry at `cpuPer50k` CPU seconds per 50k lines, all cores busy. */
const ceiling = (cpuPer50k: number) => Math.round((availableParallelism() * 50_000) / cpuPer50k);

async function plumbing(lines: string[], log: (l: string) => void) {
  const stack = await benchStack({
    bundles: { 'parse-log': 'bench-null-function', 'detect-anomaly': 'bench-null-function' },
    envFor: { 'parse-log': { NULL_ROLE: 'pass' }, 'detect-anomaly': { NULL_ROLE: 'sink' } },
  });
  const counted = async () =>
    ((await (await fetch(`${stack.gatewayUrl}/function/detect-anomaly`)).json()) as { lines: number }).lines;
  try {
    await sleep(1500);
    const ours = cpuMeter(childPids(stack));
    const services = cpuMeter(servicePids());
    const rate = await sustained(stack.gatewayUrl, lines, 'bench', 3, counted);
    const cpu = sum(per50k(ours(), lines.length));
    const svc = sum(per50k(services(), lines.length));
    log(
      `  plumbing alone (stand-in functions): ${Math.round(rate).toLocaleString()} lines/s, CPU s per 50k lines ${cpu} + ${svc} RabbitMQ and Redis`,
    );
    return {
      plumbing_lines_per_sec: Math.round(rate),
      plumbing_cpu_s_per_50k: cpu,
      plumbing_services_cpu_s_per_50k: svc,
      plumbing_ceiling_lines_per_sec: ceiling(cpu + svc),
    };
  } finally {
    await stack.stop();
  }
}

async function embedded(lines: string[], log: (l: string) => void) {
  const port = await freePort();
  const dport = await freePort();
  const p: ChildProcess = spawn(
    process.execPath,
    [
      ...EMBEDDED_NODE_ARGS,
      'dist/cli.mjs',
      'up',
      '--no-simulate',
      '--gateway-port',
      String(port),
      '--dashboard-port',
      String(dport),
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'logfaas-bench-')),
    ],
    // The memory settings `npm start` runs with (runner/processes.test.ts checks they are the same).
    {
      env: { PATH: process.env.PATH ?? '', LOGFAAS_ADMIN_PASSWORD: 'bench', ...RUNTIME_ENV },
      stdio: 'ignore',
    },
  );
  try {
    const gw = `http://127.0.0.1:${port}`;
    await waitForHttp(`${gw}/healthz`, 20_000);
    await sleep(500);
    let maxRss = 0;
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssMb(p.pid))), 200);
    const rate = await sustained(gw, lines, 'bench');
    clearInterval(sampler);
    log(`  embedded (one process): ${Math.round(rate).toLocaleString()} lines/s, RSS ${maxRss} MB`);
    return { embedded_lines_per_sec: Math.round(rate), embedded_rss_mb: maxRss };
  } finally {
    p.kill('SIGTERM');
  }
}

/**
 * Soak: half the sustained rate for `ms`, RSS of every process sampled every 10 s. Memory is flat when
 * the last minute's RSS is no higher than the first minute's (after warm-up) by more than a few MB.
 */
async function soakRun(stack: ProcessStack, rate: number, ms: number, log: (l: string) => void) {
  const samples = new Map<string, number[]>();
  const sample = () => {
    for (const c of stack.supervisor.children.values()) {
      const a = samples.get(c.name) ?? [];
      a.push(rssMb(c.pid()));
      samples.set(c.name, a);
    }
  };
  const timer = setInterval(sample, 10_000);
  log(`  soak: ${Math.round(rate).toLocaleString()} lines/s for ${Math.round(ms / 60_000)} min`);
  const lat = await freshness(stack.gatewayUrl, rate, ms / 1000, 'soak');
  clearInterval(timer);
  sample();
  const start: Record<string, number> = {};
  const end: Record<string, number> = {};
  for (const [name, a] of samples) {
    // First minute after warm-up vs last minute: medians of six samples each.
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
    start[name] = med(a.slice(6, 12).length ? a.slice(6, 12) : a.slice(0, 6));
    end[name] = med(a.slice(-6));
  }
  const growth = Math.max(...Object.keys(end).map((k) => end[k] - start[k]));
  return {
    figures: {
      soak_minutes: Math.round(ms / 60_000),
      soak_rss_start_mb: start,
      soak_rss_end_mb: end,
      soak_max_rss_growth_mb: growth,
      soak_freshness_p99_ms: Math.round(pct(lat, 99)),
    },
    lines: [
      `soak ${Math.round(ms / 60_000)} min at ${Math.round(rate).toLocaleString()} lines/s: RSS MB start -> end: ${Object.keys(
        end,
      )
        .map((k) => `${k} ${start[k]}->${end[k]}`)
        .join(', ')}; largest growth ${growth} MB; freshness p99 ${Math.round(pct(lat, 99))} ms`,
    ],
  };
}

export const pipelineBench: BenchSection = async ({ quick, log, soakMs }) => {
  const total = quick ? 50_000 : 200_000;
  const { lines } = mixedLines(total, 3);
  const stack = await benchStack();
  const figures: Record<string, number | Record<string, number>> = {};
  const lines_: string[] = [];
  try {
    await sleep(1500); // connector builds its first topic map
    const rss: Record<string, number> = {};
    const sampler = setInterval(() => {
      for (const c of stack.supervisor.children.values())
        rss[c.name] = Math.max(rss[c.name] ?? 0, rssMb(c.pid()));
    }, 200);
    const ours = cpuMeter(childPids(stack));
    const services = cpuMeter(servicePids());
    const rate = await sustained(stack.gatewayUrl, lines, 'bench');
    // CPU per 50k lines is what to judge a change by: wall-clock rates swing with the machine's load.
    const cpu = per50k(ours(), total);
    const cpuTotal = sum(cpu);
    const svcCpu = per50k(services(), total);
    log(
      `  processes, real RabbitMQ + Redis: ${Math.round(rate).toLocaleString()} lines/s end to end (${total.toLocaleString()} lines)`,
    );
    const lat = await freshness(stack.gatewayUrl, rate / 2, quick ? 5 : 15, 'fresh');
    clearInterval(sampler);
    figures.e2e_lines_per_sec = Math.round(rate);
    figures.freshness_p50_ms = Math.round(pct(lat, 50));
    figures.freshness_p99_ms = Math.round(pct(lat, 99));
    figures.rss_mb = rss;
    figures.cpu_s_per_50k = cpu;
    figures.cpu_s_per_50k_total = cpuTotal;
    // RabbitMQ's and Redis's own CPU (whole processes: anything else using them counts too).
    figures.services_cpu_s_per_50k = svcCpu;
    figures.ceiling_lines_per_sec = ceiling(cpuTotal + sum(svcCpu));
    figures.max_rss_mb = Math.max(...Object.values(rss));
    if (soakMs) {
      const soak = await soakRun(stack, rate / 2, soakMs, log);
      Object.assign(figures, soak.figures);
      lines_.push(...soak.lines);
    }
    lines_.push(
      `pipeline e2e (processes): ${figures.e2e_lines_per_sec.toLocaleString()} lines/s`,
      `freshness at half rate: p50 ${figures.freshness_p50_ms} ms, p99 ${figures.freshness_p99_ms} ms (${lat.length} batches)`,
      `CPU s per 50k lines: ${cpuTotal} (${Object.entries(cpu)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}) + ${Object.entries(svcCpu)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}; at that cost ${availableParallelism()} busy cores carry ${figures.ceiling_lines_per_sec.toLocaleString()} lines/s`,
      `RSS MB: ${Object.entries(rss)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  } finally {
    await stack.stop();
  }
  Object.assign(figures, await scaledOut(lines, log));
  lines_.push(
    `pipeline e2e with 2 replicas of each function and 2 connectors: ${figures.e2e_lines_per_sec_2_replicas.toLocaleString()} lines/s (1 of each: ${figures.e2e_lines_per_sec.toLocaleString()}; both on the same 2 cores)`,
  );
  Object.assign(figures, await plumbing(lines, log));
  lines_.push(
    `pipeline plumbing alone (producer, RabbitMQ, connector, gateway, one Redis apply per batch; stand-in functions): ${figures.plumbing_lines_per_sec.toLocaleString()} lines/s; CPU s per 50k lines ${figures.plumbing_cpu_s_per_50k} in our processes + ${figures.plumbing_services_cpu_s_per_50k} RabbitMQ and Redis (the pipeline: ${figures.cpu_s_per_50k_total} + ${sum(figures.services_cpu_s_per_50k as Record<string, number>)}); at that cost the cores carry ${figures.plumbing_ceiling_lines_per_sec.toLocaleString()} lines/s`,
  );
  Object.assign(figures, await embedded(lines.slice(0, quick ? 20_000 : 100_000), log));
  lines_.push(
    `pipeline e2e (embedded, one process): ${figures.embedded_lines_per_sec} lines/s, RSS ${figures.embedded_rss_mb} MB`,
  );
  const blocks = await buildingBlocks(log);
  Object.assign(figures, blocks);
  lines_.push(
    `building blocks: rabbitmq ${blocks.amqp_lines_per_sec.toLocaleString()} lines/s, redis ${blocks.redis_batches_per_sec.toLocaleString()} batch applies/s, http hop ${blocks.http_hop_lines_per_sec.toLocaleString()} lines/s`,
    `pipeline / rabbitmq capacity: ${((100 * (figures.e2e_lines_per_sec as number)) / blocks.amqp_lines_per_sec).toFixed(1)}%`,
  );
  return { figures, lines: lines_ };
};

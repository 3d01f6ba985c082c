// The pipeline bench's stacks: every component a process on the real RabbitMQ and Redis (one of each,
// or two replicas of every function), the plumbing alone with stand-in functions, and the embedded
// one-process mode.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { silentLogger } from '../core/log.js';
import { Secret } from '../core/secrets.js';
import { KEYS } from '../core/stats/keys.js';
import { dropNamespace } from '../runner/drop-namespace.js';
import { freePorts } from '../runner/free-port.js';
import {
  EMBEDDED_NODE_ARGS,
  type ProcessStack,
  type ProcessStackOptions,
  RUNTIME_ENV,
  startProcessStack,
} from '../runner/processes.js';
import { waitForHttp } from '../runner/wait.js';
import { amqpUrl, redisUrl } from '../test/services.js';
import { efficiency } from './efficiency.js';
import { sustained, warmupLines } from './load.js';
import { ceiling, childPids, cpuMeter, per50k, rssMb, servicePids, sleep, sum } from './meter.js';

const REDIS = redisUrl();
const AMQP = amqpUrl();
// `AMQP_QUEUE_TYPE=quorum npm run bench`: every process of the stack on quorum queues.
const QUEUE_ENV: Record<string, string> =
  process.env.AMQP_QUEUE_TYPE === 'quorum' ? { AMQP_QUEUE_TYPE: 'quorum' } : {};

/** A bench stack, and the lines its detect-anomaly has stored so far (one HGET: a cheap probe). */
export interface BenchStack extends ProcessStack {
  storedTotal(): Promise<number>;
}

/** Every component a process on the real RabbitMQ and Redis, in a namespace of its own. */
export async function benchStack(
  scale: Pick<ProcessStackOptions, 'replicas' | 'connectors' | 'bundles' | 'envFor'> = {},
): Promise<BenchStack> {
  const ns = `bench-${process.pid}-${Date.now().toString(36)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'logfaas-bench-'));
  const stack = await startProcessStack({
    root: process.cwd(),
    redisUrl: REDIS,
    amqpUrl: AMQP,
    adminPassword: new Secret('bench-password'),
    gatewayPort: 0,
    dashboardPort: 0,
    dataDir,
    logger: silentLogger,
    ...scale,
    envFor: { ...scale.envFor, ...(process.env.BENCH_ENV_FOR ? JSON.parse(process.env.BENCH_ENV_FOR) : {}) },
    cpuProfDir: process.env.BENCH_CPU_PROF_DIR || undefined,
    env: { REDIS_PREFIX: `${ns}:`, BROKER_NAMESPACE: ns, ...QUEUE_ENV },
  });
  const redis = new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
  return {
    ...stack,
    async storedTotal() {
      return Number(await redis.hget(`${ns}:${KEYS.counters}`, 'total')) || 0;
    },
    async stop() {
      redis.disconnect();
      await stack.stop();
      await dropNamespace({ redisUrl: REDIS, amqpUrl: AMQP, ns });
      // `BENCH_KEEP_DATA=1` keeps the processes' logs (DIR/logs/NAME.log), e.g. for a --trace-gc run.
      if (!process.env.BENCH_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The same burst through two replicas of every function and two connectors (competing consumers). */
export async function scaledOut(lines: string[], log: (l: string) => void) {
  const stack = await benchStack({ replicas: 2, connectors: 2 });
  try {
    await sleep(1500);
    const rate = await sustained(stack.gatewayUrl, lines, 'bench', 3, { count: () => stack.storedTotal() });
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
export async function plumbing(lines: string[], log: (l: string) => void) {
  const stack = await benchStack({
    bundles: { 'parse-log': 'bench-null-function', 'detect-anomaly': 'bench-null-function' },
    envFor: { 'parse-log': { NULL_ROLE: 'pass' }, 'detect-anomaly': { NULL_ROLE: 'sink' } },
  });
  const counted = async () =>
    ((await (await fetch(`${stack.gatewayUrl}/function/detect-anomaly`)).json()) as { lines: number }).lines;
  try {
    await sleep(1500);
    const warm = warmupLines(lines.length < 200_000);
    if (warm.length) await sustained(stack.gatewayUrl, warm, 'bench', 3, { visible: counted });
    const ours = cpuMeter(childPids(stack));
    const services = cpuMeter(servicePids(REDIS, AMQP));
    const rate = await sustained(stack.gatewayUrl, lines, 'bench', 3, { visible: counted });
    const ourCpu = per50k(ours(), lines.length);
    const svcCpu = per50k(services(), lines.length);
    const cpu = sum(ourCpu);
    const svc = sum(svcCpu);
    // µs a line by process, as the pipeline's figure is made, idle ones left out.
    const byProcess = Object.fromEntries(
      Object.entries(efficiency(ourCpu, svcCpu).cpu_us_per_line_by_process).filter(([, v]) => v > 0),
    );
    log(
      `  plumbing alone (stand-in functions): ${Math.round(rate).toLocaleString()} lines/s, CPU s per 50k lines ${cpu} + ${svc} RabbitMQ and Redis`,
    );
    return {
      plumbing_lines_per_sec: Math.round(rate),
      plumbing_cpu_s_per_50k: cpu,
      plumbing_services_cpu_s_per_50k: svc,
      plumbing_cpu_us_per_line: +((cpu + svc) * 20).toFixed(1),
      plumbing_cpu_us_per_line_by_process: byProcess,
      plumbing_ceiling_lines_per_sec: ceiling(cpu + svc),
    };
  } finally {
    await stack.stop();
  }
}

export async function embedded(lines: string[], log: (l: string) => void) {
  const [port, dport] = await freePorts(2);
  const dataDir = mkdtempSync(join(tmpdir(), 'logfaas-bench-'));
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
      dataDir,
    ],
    // The memory settings `npm start` runs with (runner/processes.test.ts checks they are the same).
    {
      // BENCH_ENV_FOR's "embedded" entry: extra environment for the one process (as for the stack's).
      env: {
        PATH: process.env.PATH ?? '',
        LOGFAAS_ADMIN_PASSWORD: 'bench',
        ...RUNTIME_ENV,
        ...(process.env.BENCH_ENV_FOR ? JSON.parse(process.env.BENCH_ENV_FOR).embedded : {}),
      },
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
    await new Promise((r) => (p.exitCode === null && p.signalCode === null ? p.once('exit', r) : r(null)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

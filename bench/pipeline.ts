// Bench section: the whole pipeline on this machine. Every component a separate process (as in
// docker-compose) against real RabbitMQ and Redis, then the embedded one-process mode; plus the raw
// capacity of the building blocks measured in the same run, so the pipeline reads as a fraction of it.
import { availableParallelism } from 'node:os';
import { mixedLines } from '../test/e2e/lines.js';
import { amqpUrl, redisUrl } from '../test/services.js';
import { buildingBlocks } from './blocks.js';
import { efficiency } from './efficiency.js';
import { freshness, statsTotal, sustained, warmupLines } from './load.js';
import {
  ceiling,
  childPids,
  cpuMeter,
  kernelMeter,
  machineMeter,
  pct,
  per50k,
  rssMb,
  servicePids,
  sleep,
  sum,
} from './meter.js';
import { redisMeter } from './redis-info.js';
import type { BenchSection } from './section.js';
import { soakRun } from './soak.js';
import { benchStack, embedded, plumbing, scaledOut } from './stacks.js';

const REDIS = redisUrl();
const AMQP = amqpUrl();

/** The pipeline section's parts; `BENCH_PARTS=plumbing npm run bench -- --only=pipeline` runs fewer (the
 * end-to-end run always goes first; `none` runs it alone). */
const PARTS = ['freshness', 'replicas', 'plumbing', 'embedded', 'blocks'];

export const pipelineBench: BenchSection = async ({ quick, log, soakMs }) => {
  const parts = new Set(process.env.BENCH_PARTS ? process.env.BENCH_PARTS.split(',') : PARTS);
  const total = quick ? 50_000 : 200_000;
  const { lines } = mixedLines(total, 3);
  const stack = await benchStack();
  const figures: Record<string, number | Record<string, number>> = {};
  const lines_: string[] = [];
  try {
    await sleep(1500); // connector builds its first topic map
    // Warm-up, not measured: JIT compilation, the first templates and models are a start-up cost that a
    // stack running for hours does not pay per line (BENCH_WARMUP=0 measures a cold stack).
    const warm = warmupLines(quick);
    if (warm.length) await sustained(stack.gatewayUrl, warm, 'bench');
    const rss: Record<string, number> = {};
    const sampler = setInterval(() => {
      for (const c of stack.supervisor.children.values())
        rss[c.name] = Math.max(rss[c.name] ?? 0, rssMb(c.pid()));
    }, 200);
    const ours = cpuMeter(childPids(stack));
    const kernel = kernelMeter(childPids(stack));
    const services = cpuMeter(servicePids(REDIS, AMQP));
    const redis = await redisMeter(REDIS);
    // The bench's own reads of Redis while it waits (left out of the pipeline's command count).
    let polls = 0;
    let counts = 0;
    const watch = {
      visible: () => {
        polls++;
        return statsTotal(stack.gatewayUrl);
      },
      count: () => {
        counts++;
        return stack.storedTotal();
      },
    };
    const machine = machineMeter();
    const timing: { acceptedMs?: number } = {};
    const rate = await sustained(stack.gatewayUrl, lines, 'bench', 3, watch, timing);
    const whole = machine();
    const redisUse = await redis();
    // What one stats poll costs Redis, so the pipeline's own commands can be told from the bench's.
    const idle = await redisMeter(REDIS);
    const idleCommands = (await idle()).commands;
    const onePoll = await redisMeter(REDIS);
    await statsTotal(stack.gatewayUrl);
    const pollCommands = Math.max(0, (await onePoll()).commands - idleCommands);
    // CPU per 50k lines is what to judge a change by: wall-clock rates swing with the machine's load.
    const cpu = per50k(ours(), total);
    const cpuTotal = sum(cpu);
    const { faultsPerLine, sysSeconds } = kernel(total);
    const svcCpu = per50k(services(), total);
    log(
      `  processes, real RabbitMQ + Redis: ${Math.round(rate).toLocaleString()} lines/s end to end (${total.toLocaleString()} lines)`,
    );
    const lat = parts.has('freshness')
      ? await freshness(stack.gatewayUrl, rate / 2, quick ? 5 : 15, 'fresh', stack.storedTotal)
      : [];
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
    const eff = efficiency(cpu, svcCpu);
    Object.assign(figures, eff);
    // Whole-server counters: on a shared Redis they include other clients' commands too.
    const pipelineCommands = Math.max(0, redisUse.commands - polls * pollCommands - counts);
    figures.redis_commands_per_1k_lines = Math.round((pipelineCommands * 1000) / total);
    figures.redis_commands_per_sec = Math.round((pipelineCommands * rate) / total);
    figures.redis_commands_per_stats_poll = pollCommands;
    figures.redis_memory_growth_mb = redisUse.memoryGrowthMb;
    figures.max_rss_mb = Math.max(...Object.values(rss));
    // Fresh memory is what a page fault is; on a VM each costs microseconds of kernel time.
    figures.page_faults_per_line = sum(faultsPerLine);
    figures.page_faults_per_line_by_process = faultsPerLine;
    figures.sys_cpu_share_pct = Math.round((100 * sysSeconds * 50_000) / total / Math.max(cpuTotal, 1e-9));
    // How much of the machine the burst used, and what it all cost a line: between the two and
    // cpu_us_per_line lies what the rate loses besides our CPU (docs/capacity.md).
    figures.e2e_machine_busy_pct = whole.busyPct;
    figures.e2e_machine_cpu_us_per_line = +((whole.busySeconds * 1e6) / total).toFixed(1);
    figures.e2e_accepted_ms = Math.round(timing.acceptedMs ?? 0);
    if (soakMs) {
      const soak = await soakRun(stack, rate / 2, soakMs, log);
      Object.assign(figures, soak.figures);
      lines_.push(...soak.lines);
    }
    lines_.push(
      `pipeline e2e (processes): ${figures.e2e_lines_per_sec.toLocaleString()} lines/s`,
      `CPU per line at that rate: ${eff.cpu_us_per_line} µs over every process (${Object.entries(
        eff.cpu_us_per_line_by_process,
      )
        .map(([k, v]) => `${k} ${v} (${eff.cpu_share_pct[k]}%)`)
        .join(', ')}); target <= 20`,
      `the whole machine during the burst: ${figures.e2e_machine_busy_pct}% of its cores busy, ${figures.e2e_machine_cpu_us_per_line} µs a line (every process on it); the producer had accepted every line after ${figures.e2e_accepted_ms} ms`,
      ...(lat.length
        ? [
            `freshness at half rate: p50 ${figures.freshness_p50_ms} ms, p99 ${figures.freshness_p99_ms} ms (${lat.length} batches)`,
          ]
        : []),
      `CPU s per 50k lines: ${cpuTotal} (${Object.entries(cpu)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}) + ${Object.entries(svcCpu)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}; at that cost ${availableParallelism()} busy cores carry ${figures.ceiling_lines_per_sec.toLocaleString()} lines/s`,
      `page faults per line: ${figures.page_faults_per_line} (${Object.entries(faultsPerLine)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}); kernel time ${figures.sys_cpu_share_pct}% of our processes' CPU`,
      `Redis: ${figures.redis_commands_per_1k_lines} commands per 1,000 lines (${figures.redis_commands_per_sec.toLocaleString()}/s at that rate; the bench's ${polls} stats polls of ${pollCommands} commands each and ${counts} reads of the total left out), memory +${figures.redis_memory_growth_mb} MB over ${total.toLocaleString()} lines`,
      `RSS MB: ${Object.entries(rss)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  } finally {
    await stack.stop();
  }
  if (!parts.has('freshness')) {
    delete figures.freshness_p50_ms;
    delete figures.freshness_p99_ms;
  }
  if (parts.has('replicas')) {
    Object.assign(figures, await scaledOut(lines, log));
    lines_.push(
      `pipeline e2e with 2 replicas of each function and 2 connectors: ${figures.e2e_lines_per_sec_2_replicas.toLocaleString()} lines/s (1 of each: ${figures.e2e_lines_per_sec.toLocaleString()}; both on the same 2 cores)`,
    );
  }
  if (parts.has('plumbing')) {
    Object.assign(figures, await plumbing(lines, log));
    lines_.push(
      `pipeline plumbing alone (producer, RabbitMQ, connector, gateway, one Redis apply per batch; stand-in functions): ${figures.plumbing_lines_per_sec.toLocaleString()} lines/s; CPU s per 50k lines ${figures.plumbing_cpu_s_per_50k} in our processes + ${figures.plumbing_services_cpu_s_per_50k} RabbitMQ and Redis = ${figures.plumbing_cpu_us_per_line} µs a line (the pipeline: ${figures.cpu_s_per_50k_total} + ${sum(figures.services_cpu_s_per_50k as Record<string, number>)}); at that cost the cores carry ${figures.plumbing_ceiling_lines_per_sec.toLocaleString()} lines/s`,
    );
  }
  if (parts.has('embedded')) {
    Object.assign(figures, await embedded(lines.slice(0, quick ? 20_000 : 100_000), log));
    lines_.push(
      `pipeline e2e (embedded, one process): ${figures.embedded_lines_per_sec} lines/s, RSS ${figures.embedded_rss_mb} MB`,
    );
  }
  if (!parts.has('blocks')) return { figures, lines: lines_ };
  const blocks = await buildingBlocks(log);
  Object.assign(figures, blocks);
  lines_.push(
    `building blocks: rabbitmq ${blocks.amqp_lines_per_sec.toLocaleString()} lines/s, redis ${blocks.redis_batches_per_sec.toLocaleString()} batch applies/s, http hop ${blocks.http_hop_lines_per_sec.toLocaleString()} lines/s, the gateway in a call ${blocks.gateway_cpu_us_per_mb} µs CPU per MiB passed`,
    `pipeline / rabbitmq capacity: ${((100 * (figures.e2e_lines_per_sec as number)) / blocks.amqp_lines_per_sec).toFixed(1)}%`,
  );
  return { figures, lines: lines_ };
};

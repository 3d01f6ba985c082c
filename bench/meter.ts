// What the pipeline bench reads from /proc: RSS and CPU seconds of our processes and of RabbitMQ's and
// Redis's, and the arithmetic that turns CPU seconds into per-line figures.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ProcessStack } from '../runner/processes.js';

export const rssMb = (pid: number | undefined): number => {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
};

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
export const cpuSeconds = (pid: number | undefined): number => {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
};

/**
 * RabbitMQ's and Redis's processes on this machine, so the bench can count their CPU too. Redis is the
 * server on `redisUrl`'s port: other redis-servers (a test cluster, say) come and go meanwhile.
 */
export function servicePids(redisUrl: string): Map<string, number> {
  const port = new URL(redisUrl).port || '6379';
  const out = new Map<string, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const comm = readFileSync(`/proc/${d}/comm`, 'utf8').trim();
      if (comm === 'beam.smp') out.set('rabbitmq', Number(d));
      else if (comm === 'redis-server') {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        if (new RegExp(`:${port}(\\s|\\0|$)`).test(cmd)) out.set('redis', Number(d));
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Our processes of a stack by name (parse-log, gateway, connector, ...). */
export const childPids = (stack: ProcessStack) =>
  new Map([...stack.supervisor.children.values()].map((c) => [c.name, c.pid() ?? 0]));

/** CPU seconds of every process in `pids` from now until the returned function is called. */
export function cpuMeter(pids: Map<string, number>): () => Record<string, number> {
  const start = new Map([...pids].map(([k, pid]) => [k, cpuSeconds(pid)]));
  // A process gone meanwhile reads 0: count nothing for it rather than a negative.
  return () =>
    Object.fromEntries([...pids].map(([k, pid]) => [k, Math.max(0, cpuSeconds(pid) - (start.get(k) ?? 0))]));
}

export const per50k = (cpu: Record<string, number>, lines: number) =>
  Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, +((v * 50_000) / lines).toFixed(2)]));

export const sum = (r: Record<string, number>) =>
  +Object.values(r)
    .reduce((a, b) => a + b, 0)
    .toFixed(2);

export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lines/s this machine's cores could carry at `cpuPer50k` CPU seconds per 50k lines, all cores busy. */
export const ceiling = (cpuPer50k: number) => Math.round((availableParallelism() * 50_000) / cpuPer50k);

// What the pipeline bench reads from /proc: RSS and CPU seconds of our processes and of RabbitMQ's and
// Redis's, and the arithmetic that turns CPU seconds into per-line figures.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
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

/** Fields of /proc/PID/stat after the command name (state first), or undefined when it is gone. */
function statFields(pid: number | undefined): string[] | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
export const cpuSeconds = (pid: number | undefined): number => {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / 100 : 0; // utime, stime in clock ticks (USER_HZ = 100)
};

/** System (kernel) CPU seconds and minor page faults so far: what fresh memory costs a process. */
export const kernelUse = (pid: number | undefined): { sys: number; faults: number } => {
  const f = statFields(pid);
  return f ? { sys: Number(f[12]) / 100, faults: Number(f[7]) } : { sys: 0, faults: 0 };
};

/**
 * Minor page faults per line and the system CPU share of every process in `pids`, from now until the
 * returned function is called. Every fault is a fresh page the kernel maps and zeroes.
 */
export function kernelMeter(pids: Map<string, number>): (lines: number) => {
  faultsPerLine: Record<string, number>;
  sysSeconds: number;
} {
  const start = new Map([...pids].map(([k, pid]) => [k, kernelUse(pid)]));
  return (lines) => {
    const faultsPerLine: Record<string, number> = {};
    let sysSeconds = 0;
    for (const [k, pid] of pids) {
      const now = kernelUse(pid);
      const then = start.get(k) ?? { sys: 0, faults: 0 };
      faultsPerLine[k] = +(Math.max(0, now.faults - then.faults) / lines).toFixed(3);
      sysSeconds += Math.max(0, now.sys - then.sys);
    }
    return { faultsPerLine, sysSeconds };
  };
}

/** The process listening on a local TCP port, from /proc/net/tcp{,6} and the processes' open sockets. */
export function listenerPid(port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] local address:port, f[3] state (0A = LISTEN), f[9] inode
      if (f[3] === '0A' && f[1]?.endsWith(`:${hex}`)) inodes.add(f[9]);
    }
  }
  if (!inodes.size) return undefined;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      for (const fd of readdirSync(`/proc/${d}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${d}/fd/${fd}`));
        if (m && inodes.has(m[1])) return Number(d);
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
}

/**
 * RabbitMQ's and Redis's processes, so the bench can count their CPU too: the ones listening on the
 * URLs' ports, since other servers (a test cluster's nodes, say) come and go on the same machine.
 */
export function servicePids(redisUrl: string, amqpUrl: string): Map<string, number> {
  const out = new Map<string, number>();
  const rabbit = listenerPid(Number(new URL(amqpUrl).port || 5672));
  const redis = listenerPid(Number(new URL(redisUrl).port || 6379));
  if (rabbit) out.set('rabbitmq', rabbit);
  if (redis) out.set('redis', redis);
  return out;
}

/**
 * The whole machine's CPU from /proc/stat's `cpu` line, in clock ticks: busy (everything but idle and
 * iowait) and in all. Pure.
 */
export function parseProcStat(text: string): { busy: number; total: number } {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l)) ?? '';
  const f = line.trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = [1, 2, 3, 4, 5, 6, 7, 8].map(
    (i) => Number(f[i]) || 0,
  );
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/**
 * The machine's busy share of all its cores, and its busy CPU seconds, from now until the returned
 * function is called: what the per-process figures leave out (the bench's own client, the kernel's
 * work on no process's account, anything else running).
 */
export function machineMeter(): () => { busyPct: number; busySeconds: number } {
  const read = () => parseProcStat(readFileSync('/proc/stat', 'utf8'));
  const start = read();
  return () => {
    const now = read();
    const busy = now.busy - start.busy;
    const total = now.total - start.total;
    return { busyPct: total > 0 ? Math.round((100 * busy) / total) : 0, busySeconds: busy / 100 };
  };
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

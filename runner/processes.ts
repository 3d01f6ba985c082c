// `logfaas up --processes`: every function, the connector, the gateway and the dashboard as separate
// processes started from their built bundles with the same command and env their containers use.
import { join, resolve } from 'node:path';
import type { Logger } from '../core/log.js';
import type { Secret } from '../core/secrets.js';
import { freePorts } from './free-port.js';
import { type Supervisor, supervise } from './supervisor.js';
import { waitForHttp } from './wait.js';

/**
 * Memory settings of every component's runtime: the Dockerfile's CMD and ENV and `logfaas up
 * --processes` use NODE_ARGS, `npm start` and the `logfaas` bin (the whole stack in one process)
 * EMBEDDED_NODE_ARGS (runner/processes.test.ts keeps them in step). Live V8 heaps are 10-40 MB; the
 * rest of the RSS is garbage not yet collected and MB-sized request and message buffers.
 * - V8 lets the old generation grow up to 4x before the next full GC; `--heap-growing-percent=30`
 *   caps that at 1.3x. With it, detect-anomaly's peak RSS went from ~140 to ~100 MB at a 4 MB
 *   semi-space, which is what pays for the larger semi-space below. V8 refuses it in NODE_OPTIONS,
 *   so these are command-line flags.
 * - Semi-space (young generation) 16 MB, V8's own default: a 2,000-line batch allocates ~4.5 MB while
 *   parsing and encoding, so a 4 MB semi-space scavenged at least once per batch and promoted the
 *   batch's live events. Against 4 MB: pipeline CPU per line ~13% lower (7 interleaved runs each),
 *   peak RSS ~125 vs ~105 MB (detect-anomaly, the largest).
 * - One process: 8 MB, since all stages share its heap: peak RSS 123-133 MB (16 MB: 137-148, 4 MB:
 *   107-116) for ~10% less CPU than 4 MB.
 * - `--single-threaded-gc`: a busy machine's cores are already taken by the other processes, and V8's
 *   helper threads for parallel scavenges and concurrent marking cost more CPU than they save there
 *   (docs/capacity.md: ~5% less CPU a line, ~10 MB more RSS in detect-anomaly). The one-process stack
 *   keeps them: its GC threads are what use a second core.
 * - A fixed malloc mmap threshold of 4 MiB (glibc's otherwise rises to the largest buffer freed, up to
 *   32 MB): a batch's buffers (0.1-0.5 MB) are reused from malloc's heap instead of being mapped fresh
 *   and zeroed by the kernel for every batch, which page faults made a sixth of the pipeline's CPU on a
 *   VM; buffers past 4 MiB still go back to the OS when freed (docs/capacity.md).
 */
export const NODE_ARGS = [
  '--max-semi-space-size=16',
  '--heap-growing-percent=30',
  '--single-threaded-gc',
] as const;
export const EMBEDDED_NODE_ARGS = ['--max-semi-space-size=8', '--heap-growing-percent=30'] as const;
export const RUNTIME_ENV = {
  MALLOC_MMAP_THRESHOLD_: '4194304',
} as const;

export const FUNCTIONS = ['producer', 'parse-log', 'detect-anomaly', 'stats', 'notify', 'search'] as const;

export interface ProcessStackOptions {
  root: string;
  redisUrl: string;
  /** `host:port,...`: every child uses this Redis Cluster (REDIS_CLUSTER_NODES) instead of redisUrl. */
  redisClusterNodes?: string;
  amqpUrl: string;
  adminPassword: Secret;
  gatewayPort: number;
  dashboardPort: number;
  /** 0 = pick free ports. */
  functionBasePort?: number;
  dataDir: string;
  logger: Logger;
  /** Extra env for every child (REDIS_PREFIX, BROKER_NAMESPACE, limits). */
  env?: Record<string, string>;
  /** Extra env per child name. */
  envFor?: Record<string, Record<string, string>>;
  /** Echo children's logs to stderr (besides data/logs/NAME.log). */
  echo?: boolean;
  /** A bundle (path under dist/, no extension) to run in a function's place; the bench's stand-ins. */
  bundles?: Partial<Record<(typeof FUNCTIONS)[number], string>>;
  /** Processes per function (competing replicas behind the gateway), default 1. */
  replicas?: number;
  /** Connector processes (competing consumers on the same queues), default 1. */
  connectors?: number;
  /** Runs the syslog connector on this UDP/TCP port (SYSLOG_PORT); absent = no syslog connector. */
  syslogPort?: number;
  /** Writes a V8 CPU profile of every child here when it exits (`BENCH_CPU_PROF_DIR=... npm run bench`). */
  cpuProfDir?: string;
}

export interface ProcessStack {
  gatewayUrl: string;
  dashboardUrl: string;
  functionUrls: Record<string, string>;
  /** The syslog connector's /metrics, when it runs. */
  syslogMetricsUrl?: string;
  supervisor: Supervisor;
  stop(): Promise<void>;
}

export async function startProcessStack(o: ProcessStackOptions): Promise<ProcessStack> {
  const dist = join(o.root, 'dist');
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    ...RUNTIME_ENV,
    REDIS_URL: o.redisUrl,
    ...(o.redisClusterNodes ? { REDIS_CLUSTER_NODES: o.redisClusterNodes } : {}),
    AMQP_URL: o.amqpUrl,
    SECRETS_DIR: process.env.SECRETS_DIR ?? '/var/openfaas/secrets',
    ...o.env,
  };
  const replicas = Math.max(1, o.replicas ?? 1);
  // Replica k of function f is child `f` (k = 1) or `f-k`, listening on its own port.
  const instances = FUNCTIONS.flatMap((fn) =>
    Array.from({ length: replicas }, (_, k) => ({ fn, child: k === 0 ? fn : `${fn}-${k + 1}`, port: 0 })),
  );
  // All ports picked at once, so no two of this stack's processes are handed the same one.
  const picked = await freePorts(instances.length + 3);
  const next = () => picked.pop() as number;
  for (const [i, inst] of instances.entries())
    inst.port = o.functionBasePort ? o.functionBasePort + i : next();
  const urlsOf = (fn: string) =>
    instances.filter((x) => x.fn === fn).map((x) => `http://127.0.0.1:${x.port}`);
  const functionUrls = Object.fromEntries(FUNCTIONS.map((f) => [f, urlsOf(f)[0]]));
  const functionUrlsEnv = FUNCTIONS.map((f) => `${f}=${urlsOf(f).join('|')}`).join(',');
  const gatewayPort = o.gatewayPort || next();
  const dashboardPort = o.dashboardPort || next();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const syslogHttpPort = o.syslogPort === undefined ? 0 : next();
  const password = o.adminPassword.reveal();
  const node = process.execPath;
  const nodeArgs = o.cpuProfDir ? [...NODE_ARGS, '--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : NODE_ARGS;
  const specs = [
    ...instances.map((x) => ({
      name: x.child,
      command: node,
      args: [...nodeArgs, join(dist, `${o.bundles?.[x.fn] ?? `functions/${x.fn}`}.mjs`)],
      // stats checks the admin credentials on its mute writes (functions/stats/mutes.ts), search on every
      // read (it returns log content); no other needs them.
      env: {
        ...base,
        PORT: String(x.port),
        ...(x.fn === 'stats' || x.fn === 'search' ? { LOGFAAS_ADMIN_PASSWORD: password } : {}),
        ...o.envFor?.[x.fn],
      },
    })),
    {
      name: 'gateway',
      command: node,
      args: [...nodeArgs, join(dist, 'gateway.mjs')],
      env: {
        ...base,
        GATEWAY_PORT: String(gatewayPort),
        STACK_FILE: resolve(o.root, 'stack.yml'),
        FUNCTION_URLS: functionUrlsEnv,
        DASHBOARD_DIR: join(dist, 'dashboard'),
        LOGFAAS_ADMIN_PASSWORD: password,
        ...o.envFor?.gateway,
      },
    },
    ...Array.from({ length: Math.max(1, o.connectors ?? 1) }, (_, k) => ({
      name: k === 0 ? 'connector' : `connector-${k + 1}`,
      command: node,
      args: [...nodeArgs, join(dist, 'connector.mjs')],
      // Straight to the replicas (the runner knows where they are); topics still come from the gateway.
      env: {
        ...base,
        GATEWAY_URL: gatewayUrl,
        GATEWAY_INVOKE: 'false',
        FUNCTION_URLS: functionUrlsEnv,
        LOGFAAS_ADMIN_PASSWORD: password,
        ...o.envFor?.connector,
      },
    })),
    ...(o.syslogPort === undefined
      ? []
      : [
          {
            name: 'syslog-connector',
            command: node,
            args: [...nodeArgs, join(dist, 'syslog-connector.mjs')],
            env: {
              ...base,
              SYSLOG_PORT: String(o.syslogPort),
              PORT: String(syslogHttpPort),
              GATEWAY_URL: gatewayUrl,
              ...o.envFor?.['syslog-connector'],
            },
          },
        ]),
    {
      name: 'dashboard',
      command: node,
      args: [...nodeArgs, join(dist, 'dashboard-server.mjs')],
      env: {
        ...base,
        PORT: String(dashboardPort),
        GATEWAY_URL: gatewayUrl,
        DASHBOARD_DIR: join(dist, 'dashboard'),
      },
    },
  ];
  const supervisor = supervise(specs, { logDir: join(o.dataDir, 'logs'), logger: o.logger, echo: o.echo });
  try {
    await Promise.all([
      ...instances.map((x) => waitForHttp(`http://127.0.0.1:${x.port}/_/ready`, 20_000)),
      waitForHttp(`${gatewayUrl}/healthz`, 20_000),
      waitForHttp(`http://127.0.0.1:${dashboardPort}/`, 20_000),
      ...(o.syslogPort === undefined
        ? []
        : [waitForHttp(`http://127.0.0.1:${syslogHttpPort}/_/ready`, 20_000)]),
    ]);
  } catch (e) {
    await supervisor.stop();
    throw new Error(`stack did not come up (see ${join(o.dataDir, 'logs')}): ${String(e)}`);
  }
  return {
    gatewayUrl,
    dashboardUrl: `http://127.0.0.1:${dashboardPort}`,
    functionUrls,
    syslogMetricsUrl: o.syslogPort === undefined ? undefined : `http://127.0.0.1:${syslogHttpPort}/metrics`,
    supervisor,
    stop: () => supervisor.stop(),
  };
}

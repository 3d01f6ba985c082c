// `logfaas up` (= npm start): runs the whole stack on this machine, in one process (default) or as
// separate processes from the built bundles (--processes), until Ctrl-C.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvReader } from '../../core/env.js';
import { createLogger } from '../../core/log.js';
import { redactUrl } from '../../core/secrets.js';
import { readStoreConfig } from '../../core/stores-config.js';
import { loadProducerConfig, scheduledSimulation } from '../../functions/producer/config.js';
import { resolveAdminPassword } from '../../runner/admin-password.js';
import { startEmbeddedStack } from '../../runner/embedded.js';
import { startProcessStack } from '../../runner/processes.js';
import { startSimulationTimer } from '../../runner/simulate-timer.js';
import { closestFlag } from '../args.js';
import { type Command, EXIT, UsageError } from '../command.js';

const HELP = `logfaas up: run the whole logfaas stack on this machine (same as npm start)

Usage: logfaas up [options]

Options:
  --processes          every function, the connector, the gateway and the dashboard as separate
                       processes from their bundles (as docker-compose runs them); needs REDIS_URL
                       and AMQP_URL. A child that dies is restarted.
  --no-simulate        no synthetic load: only what you send is counted
  --gateway-port N     gateway port (env GATEWAY_PORT, default 8080)
  --dashboard-port N   dashboard port (env DASHBOARD_PORT, default 5000)
  --data-dir DIR       embedded store, logs and generated password (env DATA_DIR, default data/)
  --verbose            echo component logs

Environment: REDIS_URL, AMQP_URL (real servers instead of the embedded ones), SIMULATE_SCHEDULE,
SYSLOG_PORT (receive syslog on this UDP and TCP port, e.g. 5140; off when unset; SYSLOG_* settings
in docs/syslog.md).

Examples:
  logfaas up
  logfaas up --no-simulate --gateway-port 9080
  SYSLOG_PORT=5140 logfaas up
  REDIS_URL=redis://127.0.0.1:6379 AMQP_URL=amqp://guest:guest@127.0.0.1:5672 logfaas up --processes
`;

export const upCommand: Command = {
  name: 'up',
  summary: 'run the stack: gateway :8080, dashboard :5000, functions, connector',
  help: HELP,
  async run(argv, io) {
    const flags = parseFlags(argv);
    const env = { ...io.env };
    if (flags['data-dir']) env.DATA_DIR = flags['data-dir'];
    const r = new EnvReader(env);
    const stores = readStoreConfig(r, env);
    const gatewayPort = Number(flags['gateway-port'] ?? r.int('GATEWAY_PORT', 8080, 0, 65535));
    const dashboardPort = Number(flags['dashboard-port'] ?? r.int('DASHBOARD_PORT', 5000, 0, 65535));
    const syslogPort = env.SYSLOG_PORT ? r.int('SYSLOG_PORT', 0, 0, 65535) : undefined;
    r.done();
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
    const log = createLogger({ component: 'up' }, flags.verbose ? undefined : () => {});
    const admin = resolveAdminPassword(env, stores.secretsDir, stores.dataDir);
    const say = (s: string) => io.stdout.write(`${s}\n`);

    let gatewayUrl: string;
    let dashboardUrl: string;
    let stop: () => Promise<void>;
    if (flags.processes) {
      if (!(stores.redisUrl || stores.redisClusterNodes) || !stores.amqpUrl) {
        throw new UsageError(
          '--processes needs REDIS_URL (or REDIS_CLUSTER_NODES) and AMQP_URL: separate processes cannot share the embedded stores',
        );
      }
      const stack = await startProcessStack({
        root,
        redisUrl: stores.redisUrl ?? '',
        redisClusterNodes: env.REDIS_CLUSTER_NODES,
        amqpUrl: stores.amqpUrl,
        adminPassword: admin.password,
        gatewayPort,
        dashboardPort,
        dataDir: stores.dataDir,
        logger: createLogger({ component: 'up' }),
        echo: Boolean(flags.verbose),
        env: {
          ...pick(env, [
            'REDIS_PREFIX',
            'BROKER_NAMESPACE',
            'REDIS_PASSWORD',
            'RABBITMQ_PASSWORD',
            // Queue arguments: every process that declares a queue must agree on them.
            'AMQP_QUEUE_TYPE',
            'AMQP_DELIVERY_LIMIT',
          ]),
          ...pick(
            env,
            Object.keys(env).filter((k) => k.startsWith('SYSLOG_') && k !== 'SYSLOG_PORT'),
          ),
        },
        syslogPort,
      });
      ({ gatewayUrl, dashboardUrl } = stack);
      stop = stack.stop;
      if (syslogPort !== undefined)
        say(`syslog:    udp+tcp port ${syslogPort}, metrics ${stack.syslogMetricsUrl}`);
      say(
        `processes: ${[...stack.supervisor.children.values()].map((c) => `${c.name} (pid ${c.pid()})`).join(', ')}`,
      );
      say(`logs: ${join(stores.dataDir, 'logs')}/`);
    } else {
      const dashboardDir = join(root, 'dist', 'dashboard');
      const stack = await startEmbeddedStack({
        env,
        stackYaml: readFileSync(
          existsSync(join(root, 'stack.yml')) ? join(root, 'stack.yml') : 'stack.yml',
          'utf8',
        ),
        stores,
        adminPassword: admin.password,
        gatewayPort,
        dashboardPort,
        dashboardDir,
        logger: log,
      });
      ({ gatewayUrl, dashboardUrl } = stack);
      stop = stack.stop;
      if (stack.syslog) {
        const ports = [
          stack.syslog.udpPort !== undefined ? `udp ${stack.syslog.udpPort}` : '',
          stack.syslog.tcpPort !== undefined ? `tcp ${stack.syslog.tcpPort}` : '',
          stack.syslog.tlsPort !== undefined ? `tls ${stack.syslog.tlsPort}` : '',
        ].filter(Boolean);
        say(`syslog:    ${ports.join(', ')}, metrics ${stack.syslog.metricsUrl}`);
      }
    }
    say(`broker: ${stores.amqpUrl ? `RabbitMQ ${redactUrl(stores.amqpUrl)}` : 'embedded (in-process)'}`);
    say(`kv:     ${kvWhere(stores)}`);
    say(`gateway:   ${gatewayUrl}   (user admin, password from ${admin.origin})`);
    say(`dashboard: ${dashboardUrl}`);

    let timer: { stop(): void } | undefined;
    const producerCfg = loadProducerConfig(env);
    if (!flags['no-simulate'] && producerCfg.simulateScheduleMs > 0) {
      timer = startSimulationTimer({
        gatewayUrl,
        intervalMs: producerCfg.simulateScheduleMs,
        request: (tick) => scheduledSimulation(producerCfg, tick),
        logger: createLogger({ component: 'schedule' }),
      });
      say(`synthetic load: every ${producerCfg.simulateScheduleMs / 1000} s (--no-simulate to switch off)`);
    }
    say('logfaas is up. Ctrl-C to stop.');
    await new Promise<void>((done) => {
      const onSignal = () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        done();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    timer?.stop();
    await stop();
    say('stopped.');
    return EXIT.ok;
  },
};

function parseFlags(argv: string[]): Record<string, string | undefined> {
  const known = new Set(['processes', 'no-simulate', 'verbose']);
  const withValue = new Set(['gateway-port', 'dashboard-port', 'data-dir']);
  const out: Record<string, string | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new UsageError(`unexpected argument ${a}`);
    if (known.has(m[1])) out[m[1]] = 'true';
    else if (withValue.has(m[1])) {
      const v = m[2] ?? argv[++i];
      if (v === undefined) throw new UsageError(`--${m[1]} needs a value`);
      out[m[1]] = v;
    } else {
      const near = closestFlag(
        `--${m[1]}`,
        [...known, ...withValue].map((k) => `--${k}`),
      );
      throw new UsageError(`unknown option --${m[1]}${near ? ` (did you mean ${near}?)` : ''}`);
    }
  }
  return out;
}

function pick(env: Record<string, string | undefined>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((k) => env[k]).map((k) => [k, env[k] as string]));
}

function kvWhere(stores: ReturnType<typeof readStoreConfig>): string {
  if (stores.redisClusterNodes)
    return `Redis Cluster ${stores.redisClusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (stores.redisUrl) return `Redis ${redactUrl(stores.redisUrl)}`;
  return `embedded, persisted in ${join(stores.dataDir, 'kv.json')}`;
}

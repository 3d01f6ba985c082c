// Bench section: syslog over TCP into the producer. The syslog connector, the gateway and the producer
// as processes (as docker-compose runs them) on the real RabbitMQ, with a queue of our own bound to
// logs.raw and nothing else consuming, so the figure is the intake alone: lines/s from the first byte
// written until the producer has accepted (the broker confirmed) every line.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectAmqpBroker } from '../core/broker/amqp.js';
import { namespaced } from '../core/broker/namespace.js';
import { silentLogger } from '../core/log.js';
import { dropNamespace } from '../runner/drop-namespace.js';
import { freePorts } from '../runner/free-port.js';
import { NODE_ARGS, RUNTIME_ENV } from '../runner/processes.js';
import { supervise } from '../runner/supervisor.js';
import { waitForHttp } from '../runner/wait.js';
import { mixedLines } from '../test/e2e/lines.js';
import { amqpUrl } from '../test/services.js';
import type { BenchSection } from './section.js';

const AMQP = amqpUrl();
const CONNECTIONS = 4;
const APPS = ['nginx', 'api', 'postgres', 'sshd'];

const cpuSeconds = (pid: number | undefined): number => {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
};

/** `n` RFC 5424 messages, newline-framed, over `CONNECTIONS` connections, split by connection. */
function payloads(n: number): Buffer[] {
  const { lines } = mixedLines(Math.min(n, 50_000), 11);
  const ts = new Date().toISOString();
  const per: string[][] = Array.from({ length: CONNECTIONS }, () => []);
  for (let i = 0; i < n; i++)
    per[i % CONNECTIONS].push(
      `<14>1 ${ts} host-${i % 8} ${APPS[i % APPS.length]} - - - ${lines[i % lines.length]}\n`,
    );
  return per.map((p) => Buffer.from(p.join('')));
}

function write(port: number, data: Buffer): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const s: Socket = connect(port, '127.0.0.1', () => {
      // Written in 64 KiB pieces honouring the socket's back-pressure, as a shipper's TCP output does.
      let off = 0;
      const pump = () => {
        while (off < data.length) {
          const piece = data.subarray(off, off + 65_536);
          off += piece.length;
          if (!s.write(piece)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    s.on('close', () => resolvePromise());
    s.on('error', reject);
  });
}

async function accepted(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return Number(/^syslog_messages_accepted_total (\d+)$/m.exec(text)?.[1] ?? 0);
}

export const syslogBench: BenchSection = async ({ quick, log }) => {
  const n = quick ? 200_000 : 1_000_000;
  const ns = `bench-syslog-${process.pid}-${Date.now().toString(36)}`;
  const tap = 'bench.syslog';
  const broker = namespaced(await connectAmqpBroker({ url: AMQP, logger: silentLogger }), ns);
  await broker.declareQueue({ name: tap, topics: ['logs.raw'] });
  const [producerPort, gatewayPort, syslogPort, metricsPort] = await freePorts(4);
  const dist = resolve('dist');
  const dataDir = mkdtempSync(join(tmpdir(), 'logfaas-bench-syslog-'));
  const base = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    ...RUNTIME_ENV,
    AMQP_URL: AMQP,
    BROKER_NAMESPACE: ns,
    // The producer's KV (held multi-line tails; syslog sends none) embedded in a scratch directory.
    DATA_DIR: dataDir,
  };
  const sup = supervise(
    [
      {
        name: 'producer',
        command: process.execPath,
        args: [...NODE_ARGS, join(dist, 'functions/producer.mjs')],
        env: { ...base, PORT: String(producerPort), SIMULATE_SCHEDULE: 'off' },
      },
      {
        name: 'gateway',
        command: process.execPath,
        args: [...NODE_ARGS, join(dist, 'gateway.mjs')],
        env: {
          ...base,
          GATEWAY_PORT: String(gatewayPort),
          STACK_FILE: resolve('stack.yml'),
          FUNCTION_URLS: `producer=http://127.0.0.1:${producerPort}`,
          LOGFAAS_ADMIN_PASSWORD: 'bench-password',
        },
      },
      {
        name: 'syslog-connector',
        command: process.execPath,
        args: [...NODE_ARGS, join(dist, 'syslog-connector.mjs')],
        env: {
          ...base,
          SYSLOG_PORT: String(syslogPort),
          SYSLOG_HOST: '127.0.0.1',
          PORT: String(metricsPort),
          GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
        },
      },
    ],
    { logDir: join(dataDir, 'logs'), logger: silentLogger },
  );
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  try {
    await Promise.all([
      waitForHttp(`http://127.0.0.1:${producerPort}/_/ready`, 20_000),
      waitForHttp(`http://127.0.0.1:${gatewayPort}/healthz`, 20_000),
      waitForHttp(`http://127.0.0.1:${metricsPort}/_/ready`, 20_000),
    ]);
    const data = payloads(n);
    const pids = [...sup.children.values()].map((c) => [c.name, c.pid()] as const);
    const cpu0 = pids.map(([, pid]) => cpuSeconds(pid));
    const t0 = performance.now();
    await Promise.all(data.map((d) => write(syslogPort, d)));
    const written = performance.now() - t0;
    while ((await accepted(metricsUrl)) < n) {
      if (performance.now() - t0 > 300_000)
        throw new Error('syslog bench: lines not accepted within 5 minutes');
      await new Promise((r) => setTimeout(r, 50));
    }
    const s = (performance.now() - t0) / 1000;
    const rate = Math.round(n / s);
    const cpu = Object.fromEntries(
      pids.map(([name, pid], i) => [name, +(((cpuSeconds(pid) - cpu0[i]) * 50_000) / n).toFixed(2)]),
    );
    const queued = (await broker.queueStats(tap))?.messages ?? 0;
    log(
      `  syslog TCP -> producer: ${n.toLocaleString()} lines in ${s.toFixed(1)} s (written in ${(written / 1000).toFixed(1)} s)`,
    );
    return {
      figures: { syslog_tcp_lines_per_sec: rate, syslog_cpu_s_per_50k: cpu },
      lines: [
        `syslog over TCP into the producer (connector, gateway, producer processes; RabbitMQ confirms): ${rate.toLocaleString()} lines/s (${n.toLocaleString()} lines over ${CONNECTIONS} connections, ${queued} batches queued); CPU s per 50k lines: ${Object.entries(
          cpu,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      ],
    };
  } finally {
    await sup.stop();
    await broker.close();
    await dropNamespace({ amqpUrl: AMQP, ns, queues: [tap] });
    rmSync(dataDir, { recursive: true, force: true });
  }
};

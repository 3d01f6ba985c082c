// Syslog in from real clients, through the running stack (every component a process, real RabbitMQ and
// Redis): util-linux `logger` over UDP and TCP, RFC 3164 and 5424, octet-counted and not, and Debian's
// rsyslogd forwarding a file (imfile + omfwd over TCP). stats `total` must equal what was sent, and the
// parsed events (tapped from logs.parsed) carry the source, level, host and time the senders gave.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broker } from '../../core/broker/types.js';
import type { LogEvent } from '../../core/event.js';
import { freePort } from '../../runner/free-port.js';
import type { ProcessStack } from '../../runner/processes.js';
import { requireService, uniqueName } from '../services.js';
import { parsedEvents } from '../support/event-batches.js';
import { parseLogConsumed, poll, servicesUp, startTestStack, stopTestStack, testBroker } from './stack.js';

const tool = (name: string, path: string) =>
  requireService(name, async () => {
    if (!existsSync(path)) throw new Error(`${path} not installed (apt-get install ${name})`);
  });
const up =
  (await servicesUp()) &&
  (await tool('bsdutils', '/usr/bin/logger')) &&
  (await tool('rsyslog', '/usr/sbin/rsyslogd'));

const TAP = 'syslog-e2e-tap';

describe.skipIf(!up)('syslog from real clients through the running stack', () => {
  const ns = uniqueName('e2e-syslog');
  const dataDir = mkdtempSync(join(tmpdir(), 'logfaas-e2e-syslog-'));
  let stack: ProcessStack;
  let broker: Broker;
  let port: number;
  const events: LogEvent[] = [];
  let sent = 0;

  beforeAll(async () => {
    expect(existsSync('dist/syslog-connector.mjs'), 'run `node build.mjs` first (npm test does)').toBe(true);
    port = await freePort();
    stack = await startTestStack({
      ns,
      dataDir,
      password: 'e2e-syslog-password',
      envFor: {
        'detect-anomaly': { MIN_TRAINING: '100000000' },
        connector: { REBUILD_INTERVAL: '1s' },
        'syslog-connector': { SYSLOG_HOST: '127.0.0.1', SYSLOG_BATCH_WAIT: '100ms' },
      },
      syslogPort: port,
    });
    broker = await testBroker(ns, dataDir);
    // A queue of our own on parse-log's output: the events exactly as the pipeline carries them.
    await broker.declareQueue({ name: TAP, topics: ['logs.parsed'] });
    await broker.consume(
      TAP,
      async (d) => {
        events.push(...parsedEvents(d.contentType, d.body));
        await d.ack();
      },
      { prefetch: 16 },
    );
    await parseLogConsumed(broker);
  }, 60_000);

  afterAll(() => stopTestStack({ ns, stack, broker, queues: [TAP] }));

  const stats = async () =>
    (await (await fetch(`${stack.gatewayUrl}/function/stats?window=1h`)).json()) as {
      total: number;
      by_source: Record<string, number>;
    };
  const ofSource = (s: string) => events.filter((e) => e.source === s);

  const cases = [
    { source: 'udp-3164', flags: ['--udp', '--rfc3164'], prio: 'local0.err', level: 'error' },
    { source: 'udp-5424', flags: ['--udp', '--rfc5424'], prio: 'user.warning', level: 'warn' },
    { source: 'tcp-3164', flags: ['--tcp', '--rfc3164'], prio: 'daemon.info', level: 'info' },
    {
      source: 'tcp-3164-oc',
      flags: ['--tcp', '--rfc3164', '--octet-count'],
      prio: 'local1.crit',
      level: 'fatal',
    },
    { source: 'tcp-5424', flags: ['--tcp', '--rfc5424'], prio: 'user.debug', level: 'debug' },
    {
      source: 'tcp-5424-oc',
      flags: ['--tcp', '--rfc5424', '--octet-count'],
      prio: 'local2.notice',
      level: 'info',
    },
  ];
  const N = 40;

  it('takes util-linux logger over UDP and TCP, RFC 3164 and 5424, octet-counted and not', async () => {
    const t0 = Date.now() - 1000;
    for (const c of cases) {
      const lines = Array.from({ length: N }, (_, i) => `syslog e2e ${c.source} message ${i} user=u${i % 7}`);
      const file = join(dataDir, `${c.source}.txt`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      execFileSync('logger', [
        ...['--server', '127.0.0.1', '--port', String(port)],
        ...c.flags,
        ...['-t', c.source, '-p', c.prio, '-f', file],
      ]);
      sent += N;
    }
    const s = await poll(stats, (v) => v.total >= sent, 30_000);
    const t1 = Date.now() + 1000;
    expect(s.total).toBe(sent);
    await poll(
      async () => events.length,
      (n) => n >= sent,
      10_000,
    );
    for (const c of cases) {
      expect(s.by_source[c.source], c.source).toBe(N);
      const got = ofSource(c.source);
      expect(got, c.source).toHaveLength(N);
      expect(new Set(got.map((e) => e.message))).toEqual(
        new Set(Array.from({ length: N }, (_, i) => `syslog e2e ${c.source} message ${i} user=u${i % 7}`)),
      );
      for (const e of got) {
        expect(e.format, c.source).toBe(c.flags.includes('--rfc5424') ? 'syslog5424' : 'syslog3164');
        expect(e.level, c.source).toBe(c.level);
        expect(e.host, c.source).toBe(hostname());
        expect(e.service, c.source).toBe(c.source);
        // RFC 3164 times have whole seconds and no zone (read as UTC; this machine's clock is UTC).
        const t = Date.parse(e.timestamp);
        expect(t, `${c.source} ${e.timestamp}`).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000);
        expect(t, `${c.source} ${e.timestamp}`).toBeLessThanOrEqual(t1);
        expect(e.problems, c.source).toBeUndefined();
      }
    }
    const metrics = await (await fetch(stack.syslogMetricsUrl as string)).text();
    expect(metrics).toMatch(new RegExp(`syslog_messages_accepted_total ${sent}\\b`));
    expect(metrics).not.toMatch(/syslog_messages_dropped_total\{/);
  }, 60_000);

  it('keeps each syslog message one event, even the lines of a stack trace sent one per message', async () => {
    const trace = [
      'ERROR request failed',
      'java.lang.IllegalStateException: boom',
      '\tat com.example.Handler.handle(Handler.java:42)',
      '\tat com.example.Server.run(Server.java:7)',
      'Caused by: java.io.IOException: closed',
      '\t... 2 more',
    ];
    const file = join(dataDir, 'trace.txt');
    writeFileSync(file, `${trace.join('\n')}\n`);
    const before = (await stats()).total;
    execFileSync('logger', [
      '--server',
      '127.0.0.1',
      '--port',
      String(port),
      '--tcp',
      '--rfc5424',
      '-t',
      'tcp-trace',
      '-f',
      file,
    ]);
    sent += trace.length;
    const s = await poll(stats, (v) => (v.by_source['tcp-trace'] ?? 0) >= trace.length, 30_000);
    expect(s.by_source['tcp-trace']).toBe(trace.length);
    expect(s.total).toBe(before + trace.length);
  }, 60_000);

  it("takes Debian's rsyslogd forwarding files (imfile + omfwd over TCP, both framings)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logfaas-rsyslog-'));
    mkdirSync(join(dir, 'work'));
    const plain = join(dir, 'app.log');
    const rfc5424 = join(dir, 'audit.log');
    const first = Array.from({ length: 150 }, (_, i) => `worker ${i % 3} finished job ${i} in ${i * 7} ms`);
    const audit = Array.from({ length: 60 }, (_, i) => `user u${i % 4} changed setting ${i} to on`);
    writeFileSync(plain, `${first.join('\n')}\n`);
    writeFileSync(rfc5424, `${audit.join('\n')}\n`);
    // Our own instance: its own config, pid file and work directory; the system's rsyslog is not touched.
    // The forwarding lines are the README's: the traditional format newline-framed, and RFC 5424
    // octet-counted.
    writeFileSync(
      join(dir, 'rsyslog.conf'),
      [
        `global(workDirectory="${join(dir, 'work')}" localHostName="rsyslog-e2e")`,
        'module(load="imfile")',
        'ruleset(name="plain") {',
        `  action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp" action.resumeInterval="1" action.resumeRetryCount="-1")`,
        '}',
        'ruleset(name="rfc5424") {',
        `  action(type="omfwd" target="127.0.0.1" port="${port}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format" action.resumeInterval="1" action.resumeRetryCount="-1")`,
        '}',
        `input(type="imfile" File="${plain}" Tag="rsys-app:" Severity="warning" Facility="local3" ruleset="plain")`,
        `input(type="imfile" File="${rfc5424}" Tag="rsys-audit" Severity="notice" Facility="authpriv" ruleset="rfc5424")`,
        '',
      ].join('\n'),
    );
    const rsyslogd: ChildProcess = spawn(
      '/usr/sbin/rsyslogd',
      ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')],
      { stdio: 'ignore' },
    );
    try {
      const t0 = Date.now() - 1000;
      const before = (await stats()).total;
      await poll(stats, (v) => (v.by_source['rsys-app'] ?? 0) >= 150, 30_000);
      // Lines appended while it runs are followed too.
      const more = Array.from({ length: 50 }, (_, i) => `worker 9 failed job ${i}: timeout after 30 s`);
      appendFileSync(plain, `${more.join('\n')}\n`);
      const done = (v: Awaited<ReturnType<typeof stats>>) =>
        (v.by_source['rsys-app'] ?? 0) >= 200 && (v.by_source['rsys-audit'] ?? 0) >= 60;
      const s = await poll(stats, done, 30_000);
      const t1 = Date.now() + 1000;
      expect(s.by_source['rsys-app']).toBe(200);
      expect(s.by_source['rsys-audit']).toBe(60);
      expect(s.total).toBe(before + 260);
      await poll(
        async () => ofSource('rsys-app').length + ofSource('rsys-audit').length,
        (n) => n >= 260,
        10_000,
      );
      const got = ofSource('rsys-app');
      expect(got.map((e) => e.message).sort()).toEqual([...first, ...more].sort());
      for (const e of got)
        expect(e).toMatchObject({
          host: 'rsyslog-e2e',
          service: 'rsys-app',
          level: 'warn',
          format: 'syslog3164',
        });
      const got5424 = ofSource('rsys-audit');
      expect(got5424.map((e) => e.message).sort()).toEqual([...audit].sort());
      for (const e of got5424)
        expect(e).toMatchObject({
          host: 'rsyslog-e2e',
          service: 'rsys-audit',
          level: 'info',
          format: 'syslog5424',
        });
      for (const e of [...got, ...got5424]) {
        expect(Date.parse(e.timestamp)).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000);
        expect(Date.parse(e.timestamp)).toBeLessThanOrEqual(t1);
      }
    } finally {
      await new Promise<void>((resolve) => {
        if (rsyslogd.exitCode !== null) return resolve();
        rsyslogd.once('exit', () => resolve());
        rsyslogd.kill('SIGTERM');
      });
    }
  }, 90_000);
});

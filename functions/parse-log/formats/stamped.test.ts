// Lines that start with a timestamp, without a format string: what the message, timestamp, level
// and fields become (through parseLine and the pipeline, so the timestamp is the one events carry).
import { describe, expect, it } from 'vitest';
import { createLineParser } from '../pipeline.js';
import { parseLine } from './detect.js';

const now = Date.UTC(2024, 4, 1, 18, 0, 0);
const parser = createLineParser({ source: 'stamped-test', now: () => now });
const event = (line: string) => parser.parse([line])[0];

type Row = [line: string, format: string, message: string, timestamp: string, rest?: Record<string, unknown>];

describe('a leading timestamp is cut from the message and sets the timestamp', () => {
  const table: Row[] = [
    // dpkg and apt
    [
      '2024-05-01 12:00:00 status unpacked libc6:amd64 2.36-9',
      'timestamped',
      'status unpacked libc6:amd64 2.36-9',
      '2024-05-01T12:00:00.000Z',
    ],
    ['Log started: 2024-05-01  12:00:00', 'timestamped', 'Log started:', '2024-05-01T12:00:00.000Z'],
    ['Start-Date: 2024-05-01  12:00:01', 'timestamped', 'Start-Date:', '2024-05-01T12:00:01.000Z'],
    ['End-Date: 2024-05-01  12:00:02', 'timestamped', 'End-Date:', '2024-05-01T12:00:02.000Z'],
    // syslog RFC 3164 and 5424 (their own parser), and rsyslog's ISO file format
    [
      'Jul  3 10:05:25 host prog[123]: disk full',
      'syslog3164',
      'disk full',
      '2023-07-03T10:05:25.000Z',
      { host: 'host', service: 'prog', fields: { pid: 123 } },
    ],
    [
      '<34>Apr 30 10:05:25 host prog[123]: disk full',
      'syslog3164',
      'disk full',
      '2024-04-30T10:05:25.000Z',
      { level: 'fatal' },
    ],
    [
      '<165>1 2024-05-01T12:00:00.003Z web1 api 99 ID47 - request served',
      'syslog5424',
      'request served',
      '2024-05-01T12:00:00.003Z',
      { host: 'web1', service: 'api' },
    ],
    [
      '2024-05-01T12:00:00.123456+02:00 web1 sshd[42]: Accepted publickey for bob',
      'syslog',
      'Accepted publickey for bob',
      '2024-05-01T10:00:00.123Z',
      { host: 'web1', service: 'sshd', fields: { pid: 42 } },
    ],
    // ISO 8601 variants
    ['2024-05-01T12:00:00Z cache warmed', 'timestamped', 'cache warmed', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00:00.5+01:00 cache warmed', 'timestamped', 'cache warmed', '2024-05-01T11:00:00.500Z'],
    ['2024-05-01 12:00:00,250-0130 cache warmed', 'timestamped', 'cache warmed', '2024-05-01T13:30:00.250Z'],
    [
      '[2024-05-01T12:00:00.123Z] WARN disk at 91%',
      'timestamped',
      'disk at 91%',
      '2024-05-01T12:00:00.123Z',
      { level: 'warn' },
    ],
    [
      '2024-05-01T12:00:00Z ERROR: connection refused',
      'timestamped',
      'connection refused',
      '2024-05-01T12:00:00.000Z',
      { level: 'error' },
    ],
    // A lower-case word after the time stays in the message (the level is still guessed from it).
    [
      '2024/05/01 12:00:00 error connecting to db',
      'timestamped',
      'error connecting to db',
      '2024-05-01T12:00:00.000Z',
      { level: 'error' },
    ],
    // Apache and nginx error logs
    [
      '2024/05/01 12:00:00 [error] 123#0: *1 open() "/srv/x" failed (2: No such file or directory)',
      'nginx_error',
      'open() "/srv/x" failed (2: No such file or directory)',
      '2024-05-01T12:00:00.000Z',
      { level: 'error', fields: { pid: 123, tid: 0, connection: 1 } },
    ],
    [
      '[Wed May 01 12:00:00.123456 2024] [core:error] [pid 1:tid 2] [client 10.0.0.1:5678] AH00037: Symbolic link not allowed',
      'apache_error',
      'AH00037: Symbolic link not allowed',
      '2024-05-01T12:00:00.123Z',
      { level: 'error', fields: { component: 'core', pid: 1, tid: 2, client: '10.0.0.1:5678' } },
    ],
    [
      '[Wed May 01 12:00:00 2024] [notice] Apache configured -- resuming normal operations',
      'apache_error',
      'Apache configured -- resuming normal operations',
      '2024-05-01T12:00:00.000Z',
      { level: 'info' },
    ],
    // log4j / logback / Spring Boot
    [
      '2024-05-01 12:00:00,123 ERROR [main] com.x.Y - boom',
      'log4j',
      'boom',
      '2024-05-01T12:00:00.123Z',
      { level: 'error', fields: { thread: 'main', logger: 'com.x.Y' } },
    ],
    [
      '12:00:00.123 [main] INFO  com.x.Y - started in 3 s',
      'log4j',
      'started in 3 s',
      '2024-05-01T12:00:00.123Z',
      { level: 'info', fields: { thread: 'main', logger: 'com.x.Y' } },
    ],
    [
      '2024-05-01 12:00:00.123 [pool-1-thread-2] WARN  c.e.OrderService - order 7 slow',
      'log4j',
      'order 7 slow',
      '2024-05-01T12:00:00.123Z',
      { level: 'warn', fields: { thread: 'pool-1-thread-2', logger: 'c.e.OrderService' } },
    ],
    [
      '2024-05-01T12:00:00.123+00:00  INFO 4242 --- [           main] o.s.b.Application : Started in 2 s',
      'log4j',
      'Started in 2 s',
      '2024-05-01T12:00:00.123Z',
      { level: 'info', fields: { pid: 4242, thread: 'main', logger: 'o.s.b.Application' } },
    ],
    [
      '17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers',
      'log4j',
      'Registered signal handlers',
      '2017-06-09T20:10:40.000Z',
      { level: 'info', fields: { logger: 'executor.CoarseGrainedExecutorBackend' } },
    ],
    [
      '2024-05-01 12:00:00,747 - WARN  [main:QuorumPeer@1] - Interrupted while waiting',
      'log4j',
      'Interrupted while waiting',
      '2024-05-01T12:00:00.747Z',
      { level: 'warn', fields: { thread: 'main:QuorumPeer@1' } },
    ],
    ['05/01/2024 12:00:00 Backup done', 'timestamped', 'Backup done', '2024-05-01T12:00:00.000Z'],
    // Python logging
    [
      '2024-05-01 12:00:00,123 - app.db - ERROR - slow query',
      'python',
      'slow query',
      '2024-05-01T12:00:00.123Z',
      { level: 'error', fields: { logger: 'app.db' } },
    ],
    // Go's log, klog/glog
    [
      '2024/05/01 12:00:00 listening on :8080',
      'timestamped',
      'listening on :8080',
      '2024-05-01T12:00:00.000Z',
    ],
    [
      '2024/05/01 12:00:00.123456 main.go:12: listening on :8080',
      'timestamped',
      'main.go:12: listening on :8080',
      '2024-05-01T12:00:00.123Z',
    ],
    [
      'I0501 12:00:00.123456    1 controller.go:42] Starting workers',
      'klog',
      'Starting workers',
      '2024-05-01T12:00:00.123Z',
      { level: 'info', fields: { tid: 1, caller: 'controller.go:42' } },
    ],
    [
      'E0501 11:59:59.000001   77 reflector.go:138] watch failed',
      'klog',
      'watch failed',
      '2024-05-01T11:59:59.000Z',
      { level: 'error' },
    ],
    // PostgreSQL, Redis, RabbitMQ
    [
      '2024-05-01 12:00:00.123 UTC [123] LOG:  database system is ready to accept connections',
      'postgres',
      'database system is ready to accept connections',
      '2024-05-01T12:00:00.123Z',
      { level: 'info', fields: { pid: 123 } },
    ],
    [
      '2024-05-01 12:00:00.123 CEST [123] postgres@shop ERROR:  relation "x" does not exist',
      'postgres',
      'relation "x" does not exist',
      '2024-05-01T12:00:00.123Z',
      { level: 'error', fields: { pid: 123, user: 'postgres', database: 'shop' } },
    ],
    [
      '123:M 01 May 2024 12:00:00.123 * Ready to accept connections tcp',
      'redis',
      'Ready to accept connections tcp',
      '2024-05-01T12:00:00.123Z',
      { level: 'info', fields: { pid: 123, role: 'M' } },
    ],
    [
      '7:C 01 May 2024 12:00:00.001 # WARNING Memory overcommit must be enabled!',
      'redis',
      'WARNING Memory overcommit must be enabled!',
      '2024-05-01T12:00:00.001Z',
      { level: 'warn' },
    ],
    [
      '2024-05-01 12:00:00.123456+00:00 [info] <0.123.0> accepting AMQP connection',
      'rabbitmq',
      'accepting AMQP connection',
      '2024-05-01T12:00:00.123Z',
      { level: 'info', fields: { pid: '<0.123.0>' } },
    ],
    // Lines as written on a Debian machine by MariaDB, NATS, Mosquitto and update-alternatives
    [
      '2026-12-07  5:46:14 0 [Note] InnoDB: Number of transaction pools: 1',
      'timestamped',
      'InnoDB: Number of transaction pools: 1',
      '2026-12-07T05:46:14.000Z',
      { level: 'info', fields: { tid: 0 } },
    ],
    [
      '[2994] 2026/12/07 05:46:02.073279 [WRN] Plaintext passwords detected',
      'timestamped',
      'Plaintext passwords detected',
      '2026-12-07T05:46:02.073Z',
      { level: 'warn', fields: { pid: 2994 } },
    ],
    [
      '1714564800: Opening ipv4 listen socket on port 1883.',
      'timestamped',
      'Opening ipv4 listen socket on port 1883.',
      '2024-05-01T12:00:00.000Z',
    ],
    [
      'update-alternatives 2024-05-01 12:00:00: link group pager updated to point to /usr/bin/less',
      'timestamped',
      'link group pager updated to point to /usr/bin/less',
      '2024-05-01T12:00:00.000Z',
      { service: 'update-alternatives' },
    ],
    [
      '[12:00:00 INF] Now listening on: http://[::]:80',
      'timestamped',
      'Now listening on: http://[::]:80',
      '2024-05-01T12:00:00.000Z',
      { level: 'info' },
    ],
    ['[12:00:00] server ready', 'timestamped', 'server ready', '2024-05-01T12:00:00.000Z'],
    // Windows CBS
    [
      '2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505',
      'cbs',
      'Loaded Servicing Stack v6.1.7601.23505',
      '2016-09-28T04:30:30.000Z',
      { level: 'info', fields: { component: 'CBS' } },
    ],
    // Epoch seconds and milliseconds
    ['1714564800.123 job 7 done', 'timestamped', 'job 7 done', '2024-05-01T12:00:00.123Z'],
    ['1714564800123 job 7 done', 'timestamped', 'job 7 done', '2024-05-01T12:00:00.123Z'],
    // A timestamp followed by logfmt or JSON: the record is read, the leading time kept.
    [
      '2024-05-01T12:00:00Z level=warn msg="disk low" service=db',
      'logfmt',
      'disk low',
      '2024-05-01T12:00:00.000Z',
      { level: 'warn', service: 'db' },
    ],
  ];
  it('cut or changed lines never throw, and the message and time text are parts of the line', () => {
    // Every prefix of each line above (a line cut short) and seeded one-to-three-character changes.
    let seed = 7;
    const rnd = (k: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % k;
    };
    const chars = ' []:.,-/+0123456789TZ<>#*@AIEWFMay\t';
    for (const [line] of table) {
      const variants: string[] = [];
      for (let i = 0; i <= line.length; i++) variants.push(line.slice(0, i));
      for (let k = 0; k < 100; k++) {
        const a = line.split('');
        for (let m = 0; m <= rnd(3); m++) a[rnd(a.length)] = chars[rnd(chars.length)];
        variants.push(a.join(''));
      }
      for (const v of variants) {
        const r = parseLine(v);
        if (r.format !== 'json' && r.format !== 'logfmt') expect(v.includes(r.message)).toBe(true);
        if (r.tsText !== undefined) expect(v.includes(r.tsText)).toBe(true);
      }
    }
  });

  it.each(table)('%s', (line, format, message, timestamp, rest) => {
    const e = event(line);
    expect(e.format).toBe(format);
    expect(e.message).toBe(message);
    expect(e.timestamp).toBe(timestamp);
    expect(e.problems).toBeUndefined();
    if (rest) expect(e).toMatchObject(rest);
  });
});

describe('lines without a leading timestamp stay as they are', () => {
  it.each([
    'Unpacking libc6:amd64 (2.36-9) over (2.36-8) ...',
    'Setting up libc6:amd64 (2.36-9) ...',
    'Selecting previously unselected package foo.',
    'Preparing to unpack .../foo_1.0_amd64.deb ...',
    '(Reading database ... 12345 files and directories currently installed.)',
    'May the force be with you',
    'worker 17 finished batch 12 at 12:00:00',
    '12345 items left',
    '10.0.0.1 went away',
    'Note: 2024-05-01 was a holiday',
  ])('%s', (line) => {
    const r = parseLine(line);
    expect(r.format).toBe('plain');
    expect(r.message).toBe(line);
    expect(r.tsText).toBeUndefined();
  });
});

describe('the timestamp no longer splits templates', () => {
  it('lines that differ only in their date and time share one template, which holds neither', () => {
    const p = createLineParser({ source: 'dpkg', now: () => now });
    const evs = p.parse([
      '2024-05-01 12:00:00 status unpacked libc6:amd64 2.36-9',
      '2024-05-02 13:14:15 status unpacked libc6:amd64 2.36-9',
      '2024-06-11 01:02:03 status unpacked libc6:amd64 2.36-9',
    ]);
    expect(new Set(evs.map((e) => e.templateId)).size).toBe(1);
    expect(evs[0].template.startsWith('status unpacked')).toBe(true);
    expect(evs.flatMap((e) => e.params)).not.toContain('12:00:00');
  });
});

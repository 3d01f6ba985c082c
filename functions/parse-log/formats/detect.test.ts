import { describe, expect, it } from 'vitest';
import { compileFormat } from './custom.js';
import { parseLine } from './detect.js';

describe('parseLine detects the format of each line', () => {
  const table: [string, string, Record<string, unknown>][] = [
    [
      '2026-02-07 06:34:01 - GET /api/users - 200 - 45ms',
      'seed',
      {
        tsText: '2026-02-07 06:34:01',
        level: 'info',
        http: { method: 'GET', path: '/api/users', status: 200, latency_ms: 45 },
      },
    ],
    [
      '10.0.0.1 - - [07/Feb/2026:06:34:01 +0000] "GET /a HTTP/1.1" 503 12',
      'common',
      { level: 'error', http: { method: 'GET', path: '/a', status: 503, bytes: 12, client_ip: '10.0.0.1' } },
    ],
    [
      '10.0.0.1 - bob [07/Feb/2026:06:34:01 +0000] "POST /b HTTP/1.1" 404 - "http://r/" "curl/8" 0.250',
      'combined',
      {
        level: 'warn',
        http: { method: 'POST', path: '/b', status: 404, user_agent: 'curl/8', latency_ms: 250 },
      },
    ],
    [
      '<34>1 2026-02-07T06:34:01.003Z mymachine su 123 ID47 - su root failed',
      'syslog5424',
      { host: 'mymachine', service: 'su', level: 'fatal', message: 'su root failed' },
    ],
    [
      '<13>Feb  7 06:34:01 host1 sshd[42]: Accepted password',
      'syslog3164',
      { host: 'host1', service: 'sshd', level: 'info', message: 'Accepted password' },
    ],
    [
      'Feb  7 06:34:01 host1 cron: job done',
      'syslog3164',
      { host: 'host1', service: 'cron', message: 'job done' },
    ],
    [
      '{"severity":"WARNING","message":"disk low","@timestamp":"2026-02-07T06:34:01Z","app":"db","duration":"12ms","status":200}',
      'json',
      { level: 'warn', message: 'disk low', service: 'db', http: { status: 200, latency_ms: 12 } },
    ],
    [
      'ts=2026-02-07T06:34:01Z lvl=error msg="conn refused" service=api latency=0.5s',
      'logfmt',
      { level: 'error', message: 'conn refused', service: 'api', http: { latency_ms: 500 } },
    ],
    ['ERROR:root:something broke', 'python', { level: 'error', message: 'something broke' }],
    [
      '2026-02-07 06:34:01,123 - app.db - WARNING - slow query',
      'python',
      { level: 'warn', message: 'slow query' },
    ],
    [
      '2026-02-07 06:34:01,123 ERROR [main] com.x.Y - boom',
      'log4j',
      { level: 'error', message: 'boom', fields: { logger: 'com.x.Y', thread: 'main' } },
    ],
    ['something failed badly', 'plain', { level: 'error', message: 'something failed badly' }],
    ['just words', 'plain', { level: 'info', message: 'just words' }],
  ];
  it.each(table)('%s -> %s', (line, format, expected) => {
    const r = parseLine(line);
    expect(r.format).toBe(format);
    expect(r).toMatchObject(expected);
  });

  it('uses a Loghub-style custom format, and falls back with a flag when a line does not match', () => {
    const f = compileFormat('<Date> <Time> <Pid> <Level> <Component>: <Content>');
    const r = parseLine(
      '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating',
      f,
    );
    expect(r).toMatchObject({
      format: 'custom',
      tsText: '081109 203615',
      level: 'info',
      message: 'PacketResponder 1 terminating',
      fields: { Pid: '148', Component: 'dfs.DataNode$PacketResponder' },
    });
    const miss = parseLine('not this format', f);
    expect(miss.format).toBe('plain');
    expect(miss.problems).toContain('format_mismatch');
  });

  it('flags bad JSON and unbalanced logfmt quotes instead of failing', () => {
    expect(parseLine('{"a": "x').problems).toContain('bad_json');
    const lf = parseLine('level=info msg="unterminated here');
    expect(lf.format).toBe('logfmt');
    expect(lf.problems).toContain('bad_logfmt');
  });
});

describe('Loghub format strings with regex groups and several time fields', () => {
  const now = Date.UTC(2026, 1, 7);
  it('Linux: an optional group does not shift the fields', () => {
    const f = compileFormat('<Month> <Date> <Time> <Level> <Component>(\\[<PID>\\])?: <Content>');
    expect(f.parse('Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown')).toMatchObject({
      message: 'check pass; user unknown',
      tsText: 'Jun 14 15:16:01',
      fields: { Level: 'combo', Component: 'sshd(pam_unix)', PID: '19939' },
    });
    expect(f.parse('Jun 14 15:16:02 combo su: session opened')).toMatchObject({
      message: 'session opened',
      fields: { Component: 'su' },
    });
  });
  it('BGL: several time fields, one of which parses', async () => {
    const { createLineParser } = await import('../pipeline.js');
    const p = createLineParser({
      source: 'bgl',
      now: () => now,
      format: '<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>',
    });
    const [e] = p.parse([
      '- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected',
    ]);
    expect(e).toMatchObject({
      level: 'info',
      message: 'instruction cache parity error corrected',
      timestamp: '2005-06-03T22:42:50.000Z',
    });
    expect(e.problems).toBeUndefined();
  });
});

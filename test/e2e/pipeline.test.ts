// The end-to-end test that matters most: real RabbitMQ + real Redis, every function, the connector, the
// gateway and the dashboard as separate processes from their bundles (as docker-compose runs them).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, DEAD_LETTER_QUEUE } from '../../core/broker/types.js';
import { basicAuthHeader } from '../../core/http/basic-auth.js';
import type { ProcessStack } from '../../runner/processes.js';
import { uniqueName } from '../services.js';
import { mixedLines, recordsWithTraces } from './lines.js';
import { parseLogConsumed, poll, servicesUp, startTestStack, stopTestStack, testBroker } from './stack.js';

const up = await servicesUp();

describe.skipIf(!up)('pipeline end to end, every component a process, real RabbitMQ and Redis', () => {
  const ns = uniqueName('e2e');
  const password = 'e2e-admin-secret-password';
  const dataDir = mkdtempSync(join(tmpdir(), 'logfaas-e2e-'));
  let stack: ProcessStack;
  let broker: Broker;

  beforeAll(async () => {
    expect(existsSync('dist/gateway.mjs'), 'run `node build.mjs` first (npm test does)').toBe(true);
    stack = await startTestStack({
      ns,
      dataDir,
      password,
      // Rules only (no model) so the expected anomaly count is exact: the error lines.
      envFor: {
        'detect-anomaly': { MIN_TRAINING: '100000000' },
        connector: { MAX_ATTEMPTS: '3', REBUILD_INTERVAL: '1s' },
      },
    });
    broker = await testBroker(ns, dataDir);
  }, 60_000);

  afterAll(() => stopTestStack({ ns, stack, broker }));

  const cli = (args: string[]) =>
    execFileSync(
      process.execPath,
      ['dist/cli.mjs', ...args, '--gateway', stack.gatewayUrl, '--password', password],
      {
        encoding: 'utf8',
      },
    );

  const stats = async () => {
    const r = await fetch(`${stack.gatewayUrl}/function/stats`);
    return (await r.json()) as { total: number; anomalies: number };
  };

  it('lists the five functions with their annotations behind basic auth', async () => {
    const denied = await fetch(`${stack.gatewayUrl}/system/functions`);
    expect(denied.status).toBe(401);
    const r = await fetch(`${stack.gatewayUrl}/system/functions`, {
      headers: { authorization: basicAuthHeader('admin', password) },
    });
    const fns = (await r.json()) as {
      name: string;
      annotations: Record<string, string>;
      availableReplicas: number;
    }[];
    expect(fns.map((f) => f.name).sort()).toEqual([
      'detect-anomaly',
      'notify',
      'parse-log',
      'producer',
      'search',
      'stats',
    ]);
    expect(fns.find((f) => f.name === 'parse-log')?.annotations.topic).toBe('logs.raw');
  });

  it('counts 10,000 posted lines exactly once; errors at a steady 2% are routine, not line anomalies', async () => {
    // Wait for the connector to bind the queues (it consumes only after its first topic map).
    await parseLogConsumed(broker);
    const { lines, errors } = mixedLines(10_000);
    const t0 = Date.now();
    const res = await fetch(`${stack.gatewayUrl}/function/producer?source=e2e`, {
      method: 'POST',
      body: `${lines.join('\n')}\n`,
    });
    const body = (await res.json()) as { accepted: number };
    expect(res.status, JSON.stringify(body)).toBeLessThan(300);
    expect(body.accepted).toBe(10_000);
    const s = await poll(stats, (v) => v.total >= 10_000, 30_000);
    const ms = Date.now() - t0;
    console.log(
      `e2e: 10,000 lines accepted and visible in stats in ${ms} ms; ${s.anomalies} anomalies (${errors} error lines)`,
    );
    expect(s.total).toBe(10_000);
    // Errors from the first line on, at a steady 2%: never rarer than LEVEL_RATE, so none is news on
    // its own (a change in their rate would be an error_rate incident).
    expect(errors).toBeGreaterThan(100);
    expect(s.anomalies).toBe(0);
  });

  it('dead-letters a message the function rejects (4xx) with its reason while the rest flows', async () => {
    const before = await stats();
    await broker.publish(
      'logs.parsed',
      new TextEncoder().encode('this is not an event\n{"also": "not one"}\n'),
      {
        messageId: uniqueName('poison'),
        headers: { 'x-batch-id': uniqueName('poison') },
        contentType: 'application/x-ndjson',
      },
    );
    const res = await fetch(`${stack.gatewayUrl}/function/producer?source=e2e`, {
      method: 'POST',
      body: '2026-02-07 06:34:01 - GET /api/users - 200 - 45ms\n',
    });
    expect(((await res.json()) as { accepted: number }).accepted).toBe(1);
    // Inspect it the way an operator would: `logfaas dlq list` through the gateway.
    const list = await poll(
      async () =>
        JSON.parse(cli(['dlq', 'list', '--json'])) as {
          total: number;
          messages: { reason: string; function: string; messageId: string }[];
        },
      (v) => v.total > 0,
      15_000,
    );
    expect(list.messages[0].reason).toMatch(/HTTP 400/);
    expect(list.messages[0].function).toBe('detect-anomaly');
    // stats asks the broker for queue depths at most once a second (docs/stats.md).
    const withDlq = await poll(
      async () =>
        (await (await fetch(`${stack.gatewayUrl}/function/stats`)).json()) as { dead_lettered: number },
      (v) => v.dead_lettered > 0,
      5_000,
    );
    expect(withDlq.dead_lettered).toBe(1);
    // Replay sends it back to logs.parsed; still poison, so it comes back to the dead-letter queue.
    expect(cli(['dlq', 'replay'])).toMatch(/replayed 1 message/);
    const back = await poll(
      () => broker.get(DEAD_LETTER_QUEUE),
      (d) => d !== null,
      15_000,
    );
    expect(back?.messageId).toBe(list.messages[0].messageId);
    expect(back?.headers['x-dead-letter-reason']).toMatch(/HTTP 400/);
    await back?.ack();
    const after = await poll(stats, (v) => v.total >= before.total + 1, 15_000);
    expect(after.total).toBe(before.total + 1);
  });

  it("shows a template's current form in stats, not the first line's text", async () => {
    type Doc = { total: number; templates: { source: string; template: string; count: number }[] };
    const doc = async () => (await (await fetch(`${stack.gatewayUrl}/function/stats`)).json()) as Doc;
    const post = async (body: string) => {
      const res = await fetch(`${stack.gatewayUrl}/function/producer?source=apt-e2e`, {
        method: 'POST',
        body,
      });
      expect(res.status).toBeLessThan(300);
    };
    await poll(
      () => broker.queueStats('logfaas.parse-log'),
      (q) => (q?.consumers ?? 0) > 0,
      20_000,
    );
    // The first line alone, counted before the rest: stats records the text it carries (`libfoo`, `alice`).
    const before = (await stats()).total;
    await post('Setting up package libfoo version (1.0) for user alice now\n');
    await poll(stats, (v) => v.total >= before + 1, 15_000);
    // Variables as they come in real logs: many values, each rare (a package and a user per line).
    const word = (i: number, tag: string) =>
      `${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + (Math.floor(i / 26) % 26))}${tag}`;
    const rest = Array.from(
      { length: 999 },
      (_, i) =>
        `Setting up package ${word(i, 'lib')} version (2.${i % 5}) for user ${word(i + 11, 'usr')} now`,
    );
    await post(`${rest.join('\n')}\n`);
    const apt = (d: Doc) => d.templates.find((t) => t.source === 'apt-e2e');
    const want = { count: 1000, template: 'Setting up package <*> version (<*>) for user <*> now' };
    // stats reuses a template-store answer for 1 s (docs/stats.md), so the new form may lag the count.
    const d = await poll(
      doc,
      (v) => apt(v)?.count === want.count && apt(v)?.template === want.template,
      30_000,
    );
    expect(apt(d)).toMatchObject(want);
  });

  it('counts 300 records with stack traces, sent by `logfaas send` in small requests, as 300 events', async () => {
    const bySource = async (source: string) => {
      const r = await fetch(`${stack.gatewayUrl}/function/stats?window=1h`);
      return ((await r.json()) as { by_source: Record<string, number> }).by_source[source] ?? 0;
    };
    const before = await stats();
    const { lines, records, traces } = recordsWithTraces(300);
    expect(records).toBe(300);
    expect(traces).toBeGreaterThan(40);
    const file = join(dataDir, 'traces.log');
    writeFileSync(file, `${lines.join('\n')}\n`);
    // 20 lines per request: most requests would end inside a trace if send cut by lines alone.
    const out = cli(['send', file, '--source', 'ml-e2e', '--batch-lines', '20', '--no-resume', '--json']);
    expect(JSON.parse(out).lines).toBe(lines.length);
    expect(
      await poll(
        () => bySource('ml-e2e'),
        (n) => n >= 300,
        30_000,
      ),
    ).toBe(300);
    // A trace split over two POSTs (held back by the producer), and one left open (flushed after
    // MULTILINE_FLUSH by the producer's sweep): three events.
    const post = (body: string) =>
      fetch(`${stack.gatewayUrl}/function/producer?source=ml-split`, { method: 'POST', body }).then((r) =>
        r.json(),
      );
    expect(
      await post('ERROR c.e.App - failed\njava.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\n'),
    ).toMatchObject({ accepted: 3, held: 3 });
    expect(await post('\tat a.B.d(B.java:2)\nINFO c.e.App - recovered\npanic: boom\n')).toMatchObject({
      accepted: 3,
      held: 1,
    });
    expect(
      await poll(
        () => bySource('ml-split'),
        (n) => n >= 3,
        20_000,
      ),
    ).toBe(3);
    const after = await poll(stats, (v) => v.total >= before.total + 303, 10_000);
    expect(after.total).toBe(before.total + 303);
  });

  it('never writes a credential to any component log', () => {
    const logs = join(dataDir, 'logs');
    for (const f of readdirSync(logs)) {
      const text = readFileSync(join(logs, f), 'utf8');
      expect(text, f).not.toContain(password);
      expect(text, f).not.toMatch(/guest:guest@/);
    }
  });
});

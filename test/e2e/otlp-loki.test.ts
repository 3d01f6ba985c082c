// Shippers' protocols into the running stack: the official OpenTelemetry JS SDK (OTLP/HTTP, JSON and
// protobuf exporters) and Loki pushes (JSON, snappy protobuf from Loki's push.proto) through the gateway
// into every component as a process, with real RabbitMQ and Redis. Stats must count exactly what was
// sent, and the parsed events (read from a tap queue on logs.parsed) carry the right source, level and time.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Broker } from '../../core/broker/types.js';
import type { LogEvent } from '../../core/event.js';
import type { ProcessStack } from '../../runner/processes.js';
import { lokiProto } from '../loki-push.js';
import { exportWithSdk } from '../otel-export.js';
import { uniqueName } from '../services.js';
import { parsedEvents } from '../support/event-batches.js';
import { parseLogConsumed, poll, servicesUp, startTestStack, stopTestStack, testBroker } from './stack.js';

const up = await servicesUp();

const TAP = 'tap.parsed';

interface Stats {
  total: number;
  by_source: Record<string, number>;
}

describe.skipIf(!up)('OTLP and Loki push through the running stack, real RabbitMQ and Redis', () => {
  const ns = uniqueName('e2e-otlp');
  const dataDir = mkdtempSync(join(tmpdir(), 'logfaas-e2e-otlp-'));
  let stack: ProcessStack;
  let broker: Broker;
  const events: LogEvent[] = [];

  beforeAll(async () => {
    expect(existsSync('dist/gateway.mjs'), 'run `node build.mjs` first (npm test does)').toBe(true);
    stack = await startTestStack({
      ns,
      dataDir,
      password: 'e2e-otlp-admin-password',
      env: { SIMULATE_SCHEDULE: 'off' },
      envFor: { 'detect-anomaly': { MIN_TRAINING: '100000000' } },
    });
    broker = await testBroker(ns, dataDir);
    // A copy of every parsed batch, to look at the events themselves.
    await broker.declareQueue({ name: TAP, topics: ['logs.parsed'] });
    await parseLogConsumed(broker);
  }, 60_000);

  afterAll(() => stopTestStack({ ns, stack, broker, queues: [TAP] }));

  const stats = async () => (await (await fetch(`${stack.gatewayUrl}/function/stats`)).json()) as Stats;

  /** Events of `source` read off the tap so far (waits until `n` are there). */
  async function eventsOf(source: string, n: number): Promise<LogEvent[]> {
    const mine = () => events.filter((e) => e.source === source);
    const until = Date.now() + 20_000;
    while (mine().length < n && Date.now() < until) {
      const d = await broker.get(TAP);
      if (!d) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      events.push(...parsedEvents(d.contentType, d.body));
      await d.ack();
    }
    return mine();
  }

  it('the OpenTelemetry JS SDK exports through the OTLP/HTTP JSON and protobuf exporters, gzip and not', async () => {
    const before = (await stats()).total;
    const started = Date.now();
    const now = Date.now() - 60_000;
    const severities = [9, 13, 17, 5, 21];
    const levels = ['info', 'warn', 'error', 'debug', 'fatal'];
    const combos = [
      { encoding: 'json', gzip: false },
      { encoding: 'json', gzip: true },
      { encoding: 'protobuf', gzip: false },
      { encoding: 'protobuf', gzip: true },
    ] as const;
    const perCombo = 250;
    for (const [c, combo] of combos.entries()) {
      const records = Array.from({ length: perCombo }, (_, i) => ({
        body: `order ${i} processed in ${i % 17} ms`,
        severityNumber: severities[i % 5],
        timeMs: now - i * 10 - c,
        attributes: { 'order.id': i, region: 'eu' },
      }));
      const r = await exportWithSdk({
        url: `${stack.gatewayUrl}/function/producer/v1/logs`,
        ...combo,
        service: `otel-${combo.encoding}-${combo.gzip ? 'gz' : 'plain'}`,
        records,
        batchSize: 100,
      });
      expect(r.errors).toEqual([]);
      expect(r.codes).toEqual([0, 0, 0]);
    }
    const sent = combos.length * perCombo;
    const s = await poll(stats, (v) => v.total >= before + sent, 30_000);
    console.log(
      `e2e otlp: ${sent} records exported by the SDK and visible in stats in ${Date.now() - started} ms`,
    );
    expect(s.total).toBe(before + sent);
    for (const [c, combo] of combos.entries()) {
      const source = `otel-${combo.encoding}-${combo.gzip ? 'gz' : 'plain'}`;
      expect(s.by_source[source]).toBe(perCombo);
      const evs = (await eventsOf(source, perCombo)).sort((a, b) => b.timestamp.localeCompare(a.timestamp));
      expect(evs).toHaveLength(perCombo);
      for (const [i, e] of evs.entries()) {
        expect(e.timestamp).toBe(new Date(now - i * 10 - c).toISOString());
        expect(e.level).toBe(levels[i % 5]);
        expect(e.message).toBe(`order ${i} processed in ${i % 17} ms`);
        expect(e.host).toBe('test-host');
        expect(e.service).toBe(source);
        expect(e.fields).toMatchObject({ 'order.id': i, region: 'eu' });
      }
    }
  }, 60_000);

  it('takes Loki pushes in JSON and in snappy protobuf, and a retried push counts once', async () => {
    const before = (await stats()).total;
    const started = Date.now();
    const t0 = BigInt(Date.now() - 120_000) * 1_000_000n + 123_456n;
    const nsAt = (i: number) => t0 + BigInt(i) * 1_000_000_000n;
    const json = {
      streams: [
        {
          stream: { job: 'varlogs', app: 'loki-json', level: 'warn' },
          values: Array.from({ length: 150 }, (_, i) => [nsAt(i).toString(), `cache miss for key user:${i}`]),
        },
        {
          stream: { job: 'loki-json-job' },
          values: Array.from({ length: 50 }, (_, i) => [
            nsAt(i).toString(),
            `worker ${i} started`,
            { pod: 'w-1' },
          ]),
        },
      ],
    };
    const a = await fetch(`${stack.gatewayUrl}/function/producer/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(json),
    });
    expect(a.status, await a.text()).toBe(204);
    const proto = lokiProto([
      {
        labels: '{service_name="loki-proto", job="nginx", filename="/var/log/nginx/access.log"}',
        entries: Array.from({ length: 200 }, (_, i) => ({
          ns: nsAt(i),
          line: `10.0.0.${i % 250} - - [07/Dec/2026:06:00:00 +0000] "GET /items/${i} HTTP/1.1" ${i % 10 === 0 ? 500 : 200} 512`,
          meta: { trace_id: `t${i}` },
        })),
      },
    ]);
    const push = () =>
      fetch(`${stack.gatewayUrl}/function/producer/loki/api/v1/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: proto,
      });
    const b = await push();
    expect(b.status, await b.text()).toBe(204);
    const sent = 400;
    const s = await poll(stats, (v) => v.total >= before + sent, 30_000);
    console.log(`e2e loki: ${sent} entries pushed and visible in stats in ${Date.now() - started} ms`);
    expect(s.total).toBe(before + sent);
    expect(s.by_source).toMatchObject({ 'loki-json': 150, 'loki-json-job': 50, 'loki-proto': 200 });

    const ms = (i: number) => new Date(Number(nsAt(i) / 1_000_000n)).toISOString();
    const warn = await eventsOf('loki-json', 150);
    expect(warn.every((e) => e.level === 'warn' && e.fields?.job === 'varlogs')).toBe(true);
    expect(warn.map((e) => e.timestamp).sort()).toEqual(Array.from({ length: 150 }, (_, i) => ms(i)).sort());
    const nginx = await eventsOf('loki-proto', 200);
    expect(nginx.map((e) => e.timestamp).sort()).toEqual(Array.from({ length: 200 }, (_, i) => ms(i)).sort());
    // The line is still read as what it is: an access log, with its status and level.
    expect(nginx.every((e) => e.format === 'common' && e.fields?.job === 'nginx')).toBe(true);
    expect(nginx.filter((e) => e.level === 'error')).toHaveLength(20);
    expect(nginx.find((e) => e.fields?.trace_id === 't7')?.http?.path).toBe('/items/7');

    // Promtail retries a push with the same body: the same batch ids, so nothing counts twice.
    expect((await push()).status).toBe(204);
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await stats()).total).toBe(before + sent);
  }, 60_000);
});

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type Broker, UnroutableError } from '../../core/broker/types.js';
import { silentLogger } from '../../core/log.js';
import { brokerWithRawQueue, drain, failingAfter } from '../../test/support/test-broker.js';
import { loadProducerConfig } from './config.js';
import { createProducerHandler } from './handler.js';

const text = (n: number, prefix = 'line') =>
  Array.from({ length: n }, (_, i) => `${prefix} ${i}`).join('\n') + '\n';
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function setup(env: Record<string, string> = {}, broker?: Broker) {
  // The batch sizes below are written for 500-line batches (the default is larger).
  const config = loadProducerConfig({ SECRETS_DIR: '/nonexistent', BATCH_LINES: '500', ...env });
  let ids = 0;
  return async (b?: Broker) => {
    const br = b ?? broker ?? (await brokerWithRawQueue());
    const handler = createProducerHandler({
      broker: br,
      config,
      logger: silentLogger,
      newId: () => `req${ids++}`,
    });
    const post = (body: BodyInit | undefined, headers: Record<string, string> = {}, query = '') =>
      handler(new Request(`http://producer/${query}`, { method: 'POST', body, headers }));
    return { handler, post, broker: br };
  };
}

describe('producer handler: raw lines', () => {
  it('splits into bounded batches and answers after every confirm', async () => {
    const { post, broker } = await (await setup({ BATCH_LINES: '500' }))();
    const r = await post(text(1234), { 'x-log-format': 'plain' }, '?source=app1');
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({
      accepted: 1234,
      batches: 3,
      source: 'app1',
      batchIds: ['req0:0', 'req0:1', 'req0:2'],
    });
    const msgs = await drain(broker);
    expect(msgs.map((m) => m.messageId).sort()).toEqual(['req0:0', 'req0:1', 'req0:2']);
    const lines = msgs.flatMap((m) => decode(m.body).split('\n'));
    expect(lines).toHaveLength(1234);
    expect(new Set(lines).size).toBe(1234);
    expect(msgs[0]).toMatchObject({
      contentType: 'text/plain',
      headers: { 'x-source': 'app1', 'x-log-format': 'plain', 'x-batch-id': msgs[0].messageId },
    });
  });

  it('strips \\r, keeps empty middle lines, ignores the final newline, bounds batch bytes', async () => {
    const { post, broker } = await (await setup({ BATCH_BYTES: '1024' }))();
    const long = 'x'.repeat(700);
    const r = await post(`a\r\n\r\n${long}\r\n${long}\nb\n`, { 'x-source': 'crlf' });
    expect(await r.json()).toMatchObject({ accepted: 5, batches: 2, source: 'crlf' });
    const bodies = (await drain(broker)).map((m) => decode(m.body));
    expect(bodies.every((b) => !b.includes('\r') && b.length <= 1024)).toBe(true);
    expect(bodies.join('\n')).toBe(`a\n\n${long}\n${long}\nb`);
  });

  it('accepts gzip and bounds the decompressed size', async () => {
    const make = await setup({ MAX_DECOMPRESSED_BYTES: '100000' });
    const { post, broker } = await make();
    const ok = await post(gzipSync(text(1000)), { 'content-encoding': 'gzip' });
    expect(await ok.json()).toMatchObject({ accepted: 1000, batches: 2 });
    expect((await drain(broker)).length).toBe(2);
    const bomb = await post(gzipSync(Buffer.alloc(1_000_000, 'a')), { 'content-encoding': 'gzip' });
    expect(bomb.status).toBe(413);
    expect((await bomb.json()).error).toContain('MAX_DECOMPRESSED_BYTES');
    const notGzip = await post('plain text', { 'content-encoding': 'gzip' });
    expect(notGzip.status).toBe(400);
  });

  it('derives batch ids from the idempotency key, so a resend repeats them', async () => {
    const { post } = await (await setup())();
    const a = await (await post(text(600), { 'x-idempotency-key': 'file-abc:0' })).json();
    const b = await (await post(text(600), {}, '?key=file-abc:0')).json();
    expect(a.batchIds).toEqual(['file-abc:0:0', 'file-abc:0:1']);
    expect(b.batchIds).toEqual(a.batchIds);
    expect((await post('x', { 'x-idempotency-key': 'bad key' })).status).toBe(400);
  });

  it('answers 503 with nothing accepted when no queue is bound (unroutable)', async () => {
    const { createMemoryBroker } = await import('../../core/broker/memory.js');
    const { post } = await (await setup())(createMemoryBroker());
    const r = await post(text(1200));
    expect(r.status).toBe(503);
    const body = await r.json();
    expect(body).toMatchObject({ accepted: 0, failed: 1200, code: 'publish_failed' });
    expect(body.error).toContain(new UnroutableError('logs.raw').message);
  });

  it('counts only confirmed batches when the connection drops mid-request', async () => {
    const inner = await brokerWithRawQueue();
    const { post } = await (await setup({ BATCH_LINES: '100', PUBLISH_CONCURRENCY: '1' }))(
      failingAfter(inner, 3),
    );
    const r = await post(text(1050));
    expect(r.status).toBe(503);
    const body = await r.json();
    expect(body).toMatchObject({ accepted: 300, batches: 3, failed: 750 });
    expect(body.error).toContain('connection to broker lost');
    const published = (await drain(inner)).reduce((s, m) => s + decode(m.body).split('\n').length, 0);
    expect(published).toBe(body.accepted);
  });

  it('never claims more than was confirmed with concurrent publishes', async () => {
    const inner = await brokerWithRawQueue();
    const { post } = await (await setup({ BATCH_LINES: '10', PUBLISH_CONCURRENCY: '8' }))(
      failingAfter(inner, 17),
    );
    const body = await (await post(text(1000))).json();
    const published = (await drain(inner)).reduce((s, m) => s + decode(m.body).split('\n').length, 0);
    expect(body.accepted).toBe(published);
    expect(body.accepted + body.failed).toBe(1000);
  });

  it.each([
    ['empty body', '', {}, 400, 'empty body'],
    [
      'binary body',
      new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
      {},
      415,
      'binary',
    ],
    ['gzip without Content-Encoding', gzipSync('a\nb\n'), {}, 415, 'Content-Encoding: gzip'],
    ['unknown encoding', 'a', { 'content-encoding': 'br' }, 415, 'Content-Encoding'],
    ['invalid JSON', '{"lines": ', { 'content-type': 'application/json' }, 400, 'invalid JSON'],
    ['bad source', 'a', { 'x-source': 'no spaces allowed' }, 400, 'source'],
    ['a simulated source name for real logs', 'a', { 'x-source': 'sim-web' }, 400, 'kept for the simulation'],
  ] as const)('refuses %s', async (_name, body, headers, status, msg) => {
    const { post, broker } = await (await setup())();
    const r = await post(body as BodyInit, headers as Record<string, string>);
    expect(r.status).toBe(status);
    expect((await r.json()).error).toContain(msg);
    expect(await drain(broker)).toHaveLength(0);
  });

  it('refuses methods other than POST', async () => {
    const { handler } = await (await setup())();
    const r = await handler(new Request('http://producer/', { method: 'GET' }));
    expect(r.status).toBe(405);
  });
});

describe('producer handler: simulations', () => {
  const json = { 'content-type': 'application/json' };

  it('publishes labelled envelopes grouped by source', async () => {
    const { post, broker } = await (await setup())();
    const req = {
      systems: ['api', 'db'],
      lines: 3000,
      seed: 7,
      rate: 100,
      scenarios: [
        { name: 'latency-spike', system: 'api' },
        { name: 'error-burst', system: 'db' },
      ],
    };
    const r = await post(JSON.stringify(req), json);
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.accepted).toBe(3000);
    expect(body.bySource['sim-api'] + body.bySource['sim-db']).toBe(3000);
    expect(body.labelled['latency-spike']).toBeGreaterThan(0);
    expect(body.labelled['error-burst']).toBeGreaterThan(0);
    expect(body.scenarios).toHaveLength(2);
    const msgs = await drain(broker);
    expect(msgs).toHaveLength(body.batches);
    let labels = 0;
    for (const m of msgs) {
      expect(m.contentType).toBe('application/vnd.logfaas.batch+json');
      const env = JSON.parse(decode(m.body));
      expect(env.source).toBe(m.headers['x-source']);
      expect(env.lines.length).toBe(env.labels.length);
      expect(env.lines.length).toBeLessThanOrEqual(500);
      labels += env.labels.filter((l: string | null) => l !== null).length;
      expect(env.lines.some((l: string) => l.includes('latency-spike') || l.includes('error-burst'))).toBe(
        false,
      );
    }
    expect(labels).toBe(body.labelled['latency-spike'] + body.labelled['error-burst']);
  });

  it('is reproducible: same seed and key give the same batches', async () => {
    const make = await setup();
    const run = async () => {
      const { post, broker } = await make();
      await post(JSON.stringify({ lines: 800, seed: 3, startTime: 0 }), {
        ...json,
        'x-idempotency-key': 'sim1',
      });
      return (await drain(broker)).map((m) => [m.messageId, decode(m.body)]);
    };
    expect(await run()).toEqual(await run());
  });

  it('lists every bad field', async () => {
    const { post } = await (await setup())();
    const r = await post(
      JSON.stringify({ systems: ['mainframe'], lines: 0, scenarios: [{ name: 'volcano' }], publish: 'yes' }),
      json,
    );
    expect(r.status).toBe(400);
    const body = await r.json();
    expect(body.details.problems).toHaveLength(4);
    expect(body.error).toContain('systems');
  });

  it('refuses simulations beyond MAX_SIMULATION_LINES', async () => {
    const { post } = await (await setup({ MAX_SIMULATION_LINES: '1000' }))();
    expect((await post(JSON.stringify({ durationSec: 100, rate: 100 }), json)).status).toBe(400);
  });

  it('previews lines without publishing when publish is false', async () => {
    const { post, broker } = await (await setup())();
    const r = await post(JSON.stringify({ lines: 5, publish: false, systems: ['web'] }), json);
    const lines = (await r.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatchObject({ system: 'web', source: 'sim-web', label: null });
    expect(await drain(broker)).toHaveLength(0);
  });

  it('runs the scheduled simulation on an empty connector tick, unless switched off', async () => {
    const on = await (await setup({ SIMULATE_LINES: '300' }))();
    const r = await on.post(undefined, { 'x-connector': 'cron-connector' });
    expect(await r.json()).toMatchObject({ accepted: 300 });
    // What the cron-connector sends: an empty POST from Go's client, no Content-Type, no marker.
    const cron = await on.handler(
      new Request('http://producer/', { method: 'POST', headers: { 'user-agent': 'Go-http-client/1.1' } }),
    );
    expect(await cron.json()).toMatchObject({ accepted: 300 });
    const curl = await on.handler(
      new Request('http://producer/', { method: 'POST', headers: { 'user-agent': 'curl/8.5.0' } }),
    );
    expect(curl.status).toBe(400);
    const off = await (await setup({ SIMULATE_SCHEDULE: 'off' }))();
    expect(await (await off.post(undefined, { 'x-connector': 'cron-connector' })).json()).toMatchObject({
      skipped: expect.any(String),
    });
  });

  it('paces realtime simulations by the simulated clock', async () => {
    const config = loadProducerConfig({ SECRETS_DIR: '/nonexistent' });
    let clock = 1_000_000;
    const waits: number[] = [];
    const handler = createProducerHandler({
      broker: await brokerWithRawQueue(),
      config,
      logger: silentLogger,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    const r = await handler(
      new Request('http://producer/', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ systems: ['api'], lines: 50, rate: 10, realtime: true, dailyRhythm: false }),
      }),
    );
    expect((await r.json()).accepted).toBe(50);
    // 50 lines at 10/s is ~5 s of simulated time; it must take ~5 s of (fake) wall time.
    expect(clock - 1_000_000).toBeGreaterThan(3_000);
    expect(clock - 1_000_000).toBeLessThan(8_000);
  });
});

// The producer and multi-line records: batches end between records, an open record at a request's end
// waits in the KV (real Redis) for the next request or the quiet-period sweep, the switches.
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../core/broker/types.js';
import { createRedisKv } from '../../core/kv/redis.js';
import type { KV } from '../../core/kv/types.js';
import { silentLogger } from '../../core/log.js';
import { groupLines } from '../../core/multiline.js';
import { clearAndClose, redisUrl, requireService, tcpReachable, uniqueName } from '../../test/services.js';
import { brokerWithRawQueue, drain, failingAfter } from '../../test/support/test-broker.js';
import { loadProducerConfig } from './config.js';
import { createTailSweeper } from './flush-tails.js';
import { createProducerHandler } from './handler.js';
import { planRecords } from './records.js';
import { splitBatches } from './split.js';

const UTF8 = new TextEncoder();
const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const TRACE = [
  'ERROR [main] c.e.App - failed',
  'java.lang.IllegalStateException: boom',
  '\tat a.B.c(B.java:1)',
];
const MORE = ['\tat a.B.d(B.java:2)', 'Caused by: java.io.IOException: x', '\t... 3 more'];

describe('splitBatches with record starts', () => {
  it('ends batches only between records, and cuts a record longer than a batch', () => {
    const lines = ['a', ...TRACE, ...MORE, 'b', 'c', ...TRACE, 'd'];
    const { starts } = planRecords(lines, { maxLines: 500, maxBytes: 65536 }, false);
    const parts = splitBatches(UTF8.encode(lines.join('\n')), 6, 1 << 20, starts);
    expect(parts.map((p) => p.lines)).toEqual([1, 6, 6]);
    const bodies = parts.map((p) => decode(p.body));
    expect(bodies.join('\n')).toBe(lines.join('\n'));
    expect(bodies[1]).toBe([...TRACE, ...MORE].join('\n'));
    // The same lines without record starts: every batch full.
    expect(splitBatches(UTF8.encode(lines.join('\n')), 6, 1 << 20).map((p) => p.lines)).toEqual([6, 6, 1]);
    // A record over the batch size is cut (2 lines per batch), the records after it start fresh.
    const small = splitBatches(UTF8.encode(lines.join('\n')), 2, 1 << 20, starts);
    expect(small.map((p) => decode(p.body).split('\n'))).toEqual([
      ['a'],
      TRACE.slice(0, 2),
      [TRACE[2], MORE[0]],
      MORE.slice(1),
      ['b', 'c'],
      TRACE.slice(0, 2),
      [TRACE[2], 'd'],
    ]);
  });
});

describe('producer: batches keep records whole (no KV)', () => {
  it('a trace is never split across batches, so parse-log sees it whole', async () => {
    const config = loadProducerConfig({ SECRETS_DIR: '/nonexistent', BATCH_LINES: '5' });
    const broker = await brokerWithRawQueue();
    const h = createProducerHandler({ broker, config, logger: silentLogger, newId: () => 'r' });
    const lines = Array.from({ length: 20 }, (_, i) => (i % 4 === 0 ? TRACE : [`INFO ${i}`])).flat();
    const r = await h(new Request('http://p/?source=s', { method: 'POST', body: `${lines.join('\n')}\n` }));
    expect(await r.json()).toMatchObject({ accepted: lines.length });
    const bodies = (await drain(broker)).map((m) => decode(m.body).split('\n'));
    expect(bodies.flat()).toEqual(lines);
    for (const b of bodies)
      expect(groupLines(b).some((rec) => rec.lines.length === 3) || !b.includes(TRACE[0])).toBe(true);
    const records = bodies.flatMap((b) => groupLines(b));
    expect(records.filter((rec) => rec.lines.length === 3).length).toBe(5);
  });
});

const redisUp = await requireService('redis', () => tcpReachable(redisUrl(), 6379));

describe.skipIf(!redisUp)('producer: held-back tails (real Redis)', () => {
  const kvs: KV[] = [];
  afterEach(() => clearAndClose(kvs));
  let clock = Date.UTC(2026, 4, 1, 12);

  async function setup(env: Record<string, string> = {}, brokerIn?: Broker) {
    const kv = await createRedisKv({
      url: redisUrl(),
      prefix: `${uniqueName('ml-producer')}:`,
      logger: silentLogger,
    });
    kvs.push(kv);
    const broker = brokerIn ?? (await brokerWithRawQueue());
    const config = loadProducerConfig({ SECRETS_DIR: '/nonexistent', ...env });
    let ids = 0;
    const now = () => clock;
    const handler = createProducerHandler({
      broker,
      kv,
      config,
      logger: silentLogger,
      newId: () => `req${ids++}`,
      now,
    });
    const post = async (lines: string[], headers: Record<string, string> = {}, query = '?source=app') => {
      const r = await handler(
        new Request(`http://p/${query}`, { method: 'POST', body: `${lines.join('\n')}\n`, headers }),
      );
      return { status: r.status, body: await r.json() };
    };
    const sweeper = () => createTailSweeper({ kv, broker, config, logger: silentLogger, now });
    return { kv, broker, post, sweeper, config, handler };
  }

  it('holds an open trace at the end of a request and prepends it to the next one', async () => {
    const { post, broker } = await setup();
    const a = await post(['INFO start', ...TRACE]);
    expect(a).toEqual({
      status: 200,
      body: { accepted: 4, batches: 1, batchIds: ['req0:0'], held: 3, source: 'app' },
    });
    expect((await drain(broker)).map((m) => decode(m.body))).toEqual(['INFO start']);
    const b = await post([...MORE, 'INFO next']);
    expect(b.body).toMatchObject({ accepted: 4, batches: 1 });
    expect(b.body.held).toBeUndefined();
    const msgs = await drain(broker);
    expect(msgs.map((m) => decode(m.body))).toEqual([[...TRACE, ...MORE, 'INFO next'].join('\n')]);
    expect(groupLines(decode(msgs[0].body).split('\n')).map((r) => r.lines.length)).toEqual([6, 1]);
  });

  it('keeps the trace in one batch when the next request is split into several', async () => {
    const { post, broker } = await setup({ BATCH_LINES: '6' });
    await post(['INFO 0', ...TRACE]);
    await drain(broker);
    const b = await post([...MORE, 'INFO 1', 'INFO 2', 'INFO 3', 'INFO 4']);
    expect(b.body).toMatchObject({ accepted: 7, batches: 2 });
    const bodies = (await drain(broker)).map((m) => decode(m.body));
    expect(bodies).toEqual([[...TRACE, ...MORE].join('\n'), 'INFO 1\nINFO 2\nINFO 3\nINFO 4']);
  });

  it('publishes a held tail alone after the quiet period, from exactly one of two sweeping replicas', async () => {
    const { post, broker, sweeper, config } = await setup();
    await post(['INFO start', ...TRACE], { 'x-log-format': 'plain' });
    await drain(broker);
    const [r1, r2] = [sweeper(), sweeper()];
    expect(await r1.sweep()).toBe(0); // not due yet
    clock += config.multilineFlushMs;
    const flushed = await Promise.all([r1.sweep(), r2.sweep(), r1.sweep()]);
    expect(flushed.reduce((s, n) => s + n, 0)).toBe(1);
    const msgs = await drain(broker);
    expect(msgs.map((m) => [m.messageId, decode(m.body)])).toEqual([['req0:tail', TRACE.join('\n')]]);
    expect(msgs[0].headers).toMatchObject({
      'x-source': 'app',
      'x-log-format': 'plain',
      'x-batch-id': 'req0:tail',
    });
    expect(await r2.sweep()).toBe(0);
    // The next request starts afresh.
    await post(['INFO after']);
    expect((await drain(broker)).map((m) => decode(m.body))).toEqual(['INFO after']);
  });

  it('a retry of the request that held the tail does not send it twice', async () => {
    const { post, broker } = await setup();
    const key = { 'x-idempotency-key': 'k1' };
    expect((await post(['INFO start', ...TRACE], key)).body).toMatchObject({ accepted: 4, held: 3 });
    expect((await post(['INFO start', ...TRACE], key)).body).toMatchObject({ accepted: 4, held: 3 });
    await post(['INFO next']);
    const bodies = (await drain(broker)).map((m) => decode(m.body));
    expect(bodies).toEqual(['INFO start', 'INFO start', `${TRACE.join('\n')}\nINFO next`]);
  });

  it('keeps the tail when the request carrying it fails to publish, and counts honestly', async () => {
    const inner = await brokerWithRawQueue();
    const { post, kv, config } = await setup({}, inner);
    await post(['INFO start', ...TRACE]);
    await drain(inner);
    // A second replica on the same KV whose broker connection is gone.
    const shared = createProducerHandler({
      broker: failingAfter(inner, 0),
      kv,
      config,
      logger: silentLogger,
      newId: () => 'f',
      now: () => clock,
    });
    const r = await shared(
      new Request('http://p/?source=app', { method: 'POST', body: `${MORE.join('\n')}\nINFO x\n` }),
    );
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ accepted: 0, failed: 4 });
    const again = await post([...MORE, 'INFO x']);
    expect(again.body).toMatchObject({ accepted: 4 });
    expect((await drain(inner)).map((m) => decode(m.body))).toEqual([
      [...TRACE, ...MORE, 'INFO x'].join('\n'),
    ]);
  });

  it('holds nothing when the request turns grouping off, the source has it off, or the body ends whole', async () => {
    const { post, broker } = await setup({ SOURCE_MULTILINE: '{"flat": "off"}' });
    expect((await post(TRACE, {}, '?source=app&multiline=off')).body).toMatchObject({ accepted: 3 });
    const off = await drain(broker);
    expect(off.map((m) => decode(m.body))).toEqual([TRACE.join('\n')]);
    expect(off[0].headers['x-multiline']).toBe('off');
    expect((await post(TRACE, {}, '?source=flat')).body).toMatchObject({ accepted: 3 });
    expect((await post(TRACE, { 'x-multiline-end': 'complete' })).body).toMatchObject({ accepted: 3 });
    const rest = await drain(broker);
    expect(rest.length).toBe(2);
    expect(rest.every((m) => m.headers['x-multiline'] === undefined)).toBe(true);
    expect((await post(TRACE, {}, '?source=app&multiline=perhaps')).status).toBe(400);
  });
});

// One contract, two brokers: every test here runs against the embedded broker and against real RabbitMQ
// (classic and quorum queues).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { amqpUrl, requireService, tcpReachable, uniqueName } from '../../test/services.js';
import { deleteQueues } from '../../test/support/rabbitmq.js';
import { silentLogger } from '../log.js';
import { connectAmqpBroker } from './amqp.js';
import { createMemoryBroker } from './memory.js';
import { type Broker, type Delivery, UnroutableError } from './types.js';

const rabbitUp = await requireService('rabbitmq', () => tcpReachable(amqpUrl(), 5672));

interface Target {
  name: string;
  up: boolean;
  open(): Promise<Broker>;
  /** Deletes the queues a test created (RabbitMQ queues are durable and outlive the test). */
  deleteQueues?(names: string[]): Promise<void>;
}

const targets: Target[] = [
  { name: 'embedded', up: true, open: async () => createMemoryBroker() },
  {
    name: 'rabbitmq',
    up: rabbitUp,
    open: () =>
      connectAmqpBroker({ url: amqpUrl(), logger: silentLogger, connectionName: 'logfaas-contract-test' }),
    deleteQueues,
  },
  {
    // The same contract on quorum queues (AMQP_QUEUE_TYPE=quorum): only the declare arguments differ.
    name: 'rabbitmq quorum',
    up: rabbitUp,
    open: () =>
      connectAmqpBroker({
        url: amqpUrl(),
        logger: silentLogger,
        connectionName: 'logfaas-contract-test',
        queues: { type: 'quorum', deliveryLimit: 10 },
      }),
    deleteQueues,
  },
];

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await sleep(10);
  }
}

describe.each(targets)('Broker contract: $name', (target) => {
  let broker: Broker;
  let queues: string[] = [];
  /** A fresh queue bound to a fresh topic (plus extra patterns), both unique to this test. */
  const fresh = async (patterns: string[] = []) => {
    const topic = uniqueName('bt').replaceAll('-', '_');
    const q = uniqueName('logfaas-test-q');
    queues.push(q);
    await broker.declareQueue({ name: q, topics: [topic, ...patterns] });
    return { q, topic };
  };
  const collect = () => {
    const got: Delivery[] = [];
    return { got, handler: async (d: Delivery) => void got.push(d) };
  };

  beforeEach(async (ctx) => {
    if (!target.up) ctx.skip();
    broker = await target.open();
    queues = [];
  });
  afterEach(async () => {
    if (!target.up) return;
    await broker.close();
    await target.deleteQueues?.(queues);
  });

  it('delivers body, messageId, headers, contentType and topic; ack removes the message', async () => {
    const { q, topic } = await fresh();
    await broker.publish(topic, enc('hello'), {
      messageId: 'm-1',
      headers: { 'x-source': 'test', 'x-n': '1' },
      contentType: 'application/x-ndjson',
    });
    const { got, handler } = collect();
    const c = await broker.consume(q, handler, { prefetch: 5 });
    await waitFor(() => got.length === 1);
    const d = got[0];
    expect(dec(d.body)).toBe('hello');
    expect(d).toMatchObject({
      messageId: 'm-1',
      contentType: 'application/x-ndjson',
      topic,
      redelivered: false,
    });
    expect(d.headers).toMatchObject({ 'x-source': 'test', 'x-n': '1' });
    expect(await broker.queueStats(q)).toEqual({ name: q, messages: 0, consumers: 1 });
    await d.ack();
    await d.ack(); // settling twice is a no-op, not a channel error
    await c.cancel();
    expect(await broker.queueStats(q)).toEqual({ name: q, messages: 0, consumers: 0 });
  });

  it('publish resolves only once the broker holds the message', async () => {
    const { q, topic } = await fresh();
    await Promise.all([1, 2, 3].map((i) => broker.publish(topic, enc(`m${i}`), { messageId: `m${i}` })));
    expect((await broker.queueStats(q))?.messages).toBe(3);
  });

  it('rejects an unroutable publish with UnroutableError unless allowUnrouted', async () => {
    const topic = uniqueName('nobody_listens');
    const err = await broker.publish(topic, enc('x'), { messageId: 'u1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnroutableError);
    await expect(
      broker.publish(topic, enc('x'), { messageId: 'u2', allowUnrouted: true }),
    ).resolves.toBeUndefined();
    // A routable publish on the same broker still confirms normally afterwards.
    const { q, topic: t2 } = await fresh();
    await broker.publish(t2, enc('ok'), { messageId: 'u1' });
    expect((await broker.queueStats(q))?.messages).toBe(1);
  });

  it('routes by topic patterns: exact, * (one word) and # (zero or more words)', async () => {
    const base = uniqueName('rt').replaceAll('-', '_');
    const { q } = await fresh([`${base}.#`, `${base}_star.*.end`]);
    await broker.publish(`${base}`, enc('1'), { messageId: 'a' });
    await broker.publish(`${base}.x.y`, enc('2'), { messageId: 'b' });
    await broker.publish(`${base}_star.mid.end`, enc('3'), { messageId: 'c' });
    const miss = broker.publish(`${base}_star.a.b.end`, enc('4'), { messageId: 'd' });
    await expect(miss).rejects.toBeInstanceOf(UnroutableError);
    expect((await broker.queueStats(q))?.messages).toBe(3);
  });

  it('copies a message to every queue bound to its topic', async () => {
    const { q: q1, topic } = await fresh();
    const q2 = uniqueName('logfaas-test-q');
    queues.push(q2);
    await broker.declareQueue({ name: q2, topics: [topic] });
    await broker.declareQueue({ name: q2, topics: [topic] }); // idempotent
    await broker.publish(topic, enc('x'), { messageId: 'f' });
    expect((await broker.queueStats(q1))?.messages).toBe(1);
    expect((await broker.queueStats(q2))?.messages).toBe(1);
  });

  it('nack(requeue) redelivers with redelivered=true; nack(false) drops', async () => {
    const { q, topic } = await fresh();
    await broker.publish(topic, enc('again'), { messageId: 'r1' });
    const { got, handler } = collect();
    const c = await broker.consume(q, handler, { prefetch: 1 });
    await waitFor(() => got.length === 1);
    expect(got[0].redelivered).toBe(false);
    await got[0].nack(true);
    await waitFor(() => got.length === 2);
    expect(got[1]).toMatchObject({ messageId: 'r1', redelivered: true });
    await got[1].nack(false);
    await sleep(50);
    expect(got).toHaveLength(2);
    await c.cancel();
    expect((await broker.queueStats(q))?.messages).toBe(0);
  });

  it('never has more than prefetch unacked deliveries per consumer', async () => {
    const { q, topic } = await fresh();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => broker.publish(topic, enc(`${i}`), { messageId: `p${i}` })),
    );
    const got: Delivery[] = [];
    let autoAck = false;
    const handler = async (d: Delivery) => {
      got.push(d);
      if (autoAck) await d.ack();
    };
    const c = await broker.consume(q, handler, { prefetch: 3 });
    await waitFor(() => got.length === 3);
    await sleep(100);
    expect(got).toHaveLength(3);
    await got[0].ack();
    await waitFor(() => got.length === 4);
    await sleep(50);
    expect(got).toHaveLength(4);
    autoAck = true;
    for (const d of got.slice(1, 4)) await d.ack();
    await waitFor(() => got.length === 10);
    expect(got.map((d) => dec(d.body)).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    await c.cancel();
  });

  it('requeues a delivery whose handler throws without settling', async () => {
    const { q, topic } = await fresh();
    await broker.publish(topic, enc('boom'), { messageId: 'h1' });
    const seen: boolean[] = [];
    const c = await broker.consume(
      q,
      async (d) => {
        seen.push(d.redelivered);
        if (!d.redelivered) throw new Error('handler bug');
        await d.ack();
      },
      { prefetch: 1 },
    );
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual([false, true]);
    await c.cancel();
  });

  it('cancel stops deliveries and returns what the consumer left unacked', async () => {
    const { q, topic } = await fresh();
    await broker.publish(topic, enc('held'), { messageId: 'c1' });
    const { got, handler } = collect();
    const c = await broker.consume(q, handler, { prefetch: 1 });
    await waitFor(() => got.length === 1);
    await c.cancel();
    await broker.publish(topic, enc('after'), { messageId: 'c2' });
    await sleep(50);
    expect(got).toHaveLength(1);
    await waitFor(async () => (await broker.queueStats(q))?.messages === 2);
    const again = await broker.get(q);
    expect(again).toMatchObject({ messageId: 'c1', redelivered: true });
    await again?.ack();
  });

  it('get takes one message (null when empty or missing); nack(true) puts it back', async () => {
    const { q, topic } = await fresh();
    expect(await broker.get(q)).toBeNull();
    expect(await broker.get(uniqueName('missing-q'))).toBeNull();
    await broker.publish(topic, enc('g'), { messageId: 'g1', headers: { a: 'b' } });
    const d = await broker.get(q);
    expect(d).toMatchObject({ messageId: 'g1', topic, redelivered: false, headers: { a: 'b' } });
    await d?.nack(true);
    const d2 = await broker.get(q);
    expect(d2).toMatchObject({ messageId: 'g1', redelivered: true });
    await d2?.ack();
    expect(await broker.get(q)).toBeNull();
  });

  it('sendToQueue declares the queue on demand and delivers with the queue as topic', async () => {
    const q = uniqueName('logfaas-test-dlq');
    queues.push(q);
    expect(await broker.queueStats(q)).toBeNull();
    await broker.sendToQueue(q, enc('dead'), { messageId: 'd1', headers: { 'x-reason': 'bad' } });
    expect(await broker.queueStats(q)).toEqual({ name: q, messages: 1, consumers: 0 });
    const d = await broker.get(q);
    expect(d).toMatchObject({ messageId: 'd1', topic: q, headers: { 'x-reason': 'bad' } });
    await d?.ack();
  });

  it('delivers 200 concurrent publishes once each across two consumers', async () => {
    const { q, topic } = await fresh();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => broker.publish(topic, enc(`${i}`), { messageId: `n${i}` })),
    );
    const ids = new Set<string>();
    let count = 0;
    const handler = async (d: Delivery) => {
      count++;
      ids.add(d.messageId);
      await d.ack();
    };
    const c1 = await broker.consume(q, handler, { prefetch: 10 });
    const c2 = await broker.consume(q, handler, { prefetch: 10 });
    await waitFor(() => count >= 200);
    expect(ids.size).toBe(200);
    expect(count).toBe(200);
    await c1.cancel();
    await c2.cancel();
  });

  it('consume on a queue that was never declared rejects', async () => {
    await expect(broker.consume(uniqueName('missing-q'), async () => {}, { prefetch: 1 })).rejects.toThrow();
    // The broker stays usable afterwards.
    const { q, topic } = await fresh();
    await broker.publish(topic, enc('still ok'), { messageId: 'ok' });
    expect((await broker.queueStats(q))?.messages).toBe(1);
  });

  it('rejects everything after close', async () => {
    const other = await target.open();
    await other.close();
    await expect(other.publish('x', enc('x'), { messageId: 'z', allowUnrouted: true })).rejects.toThrow();
  });
});

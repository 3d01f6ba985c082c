// RabbitMQ-only behaviour beyond the contract: durable topology and persistent messages, recovery from
// a dropped or server-closed connection, secrets kept out of logs, and publish/confirm throughput.
import { execFile } from 'node:child_process';
import type { Socket } from 'node:net';
import { promisify } from 'node:util';
import { type ChannelModel, connect } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { amqpUrl, requireService, tcpReachable, uniqueName } from '../../test/services.js';
import { deleteQueues } from '../../test/support/rabbitmq.js';
import { createLogger, silentLogger } from '../log.js';
import { Secret } from '../secrets.js';
import { connectAmqpBroker } from './amqp.js';
import { createAmqpBroker } from './create.js';
import { type Broker, BrokerUnavailableError, type Delivery, EXCHANGE } from './types.js';

const rabbitUp = await requireService('rabbitmq', () => tcpReachable(amqpUrl(), 5672));
const run = promisify(execFile);
const hasRabbitmqctl = await run('rabbitmqctl', ['--help']).then(
  () => true,
  (err: { code?: unknown }) => err.code !== 'ENOENT',
);

const enc = (s: string) => new TextEncoder().encode(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await sleep(20);
  }
}

describe.skipIf(!rabbitUp)('RabbitMQ broker', () => {
  const queues: string[] = [];
  const brokers: Broker[] = [];
  const open = async (extra: Partial<Parameters<typeof connectAmqpBroker>[0]> = {}) => {
    const b = await connectAmqpBroker({ url: amqpUrl(), logger: silentLogger, ...extra });
    brokers.push(b);
    return b;
  };
  const freshQueue = async (b: Broker) => {
    const q = uniqueName('logfaas-test-q');
    const topic = uniqueName('amqp_t');
    queues.push(q);
    await b.declareQueue({ name: q, topics: [topic] });
    return { q, topic };
  };
  afterEach(async () => {
    for (const b of brokers.splice(0)) await b.close();
    await deleteQueues(queues.splice(0));
  });

  it('declares a durable exchange and queues, and publishes persistent messages with their properties', async () => {
    const b = await open();
    const { q, topic } = await freshQueue(b);
    await b.publish(topic, enc('p'), { messageId: 'pm-1', headers: { h: 'v' }, contentType: 'text/plain' });
    const conn = await connect(amqpUrl());
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      const msg = await ch.get(q, { noAck: true });
      expect(msg ? msg.properties : null).toMatchObject({
        deliveryMode: 2,
        messageId: 'pm-1',
        contentType: 'text/plain',
      });
      expect(msg ? msg.properties.headers : null).toMatchObject({ h: 'v' });
      // Re-asserting as non-durable fails (406) only because they already exist as durable.
      await expect(ch.assertQueue(q, { durable: false })).rejects.toThrow(/PRECONDITION_FAILED/);
      const ch2 = await conn.createChannel();
      ch2.on('error', () => {});
      await expect(ch2.assertExchange(EXCHANGE, 'topic', { durable: false })).rejects.toThrow(
        /PRECONDITION_FAILED/,
      );
    } finally {
      await conn.close();
    }
  });

  it('after the socket drops: fails fast, then reconnects, re-declares and redelivers to the same consumer', async () => {
    const models: ChannelModel[] = [];
    const b = await open({ onConnect: (m) => models.push(m) });
    const lost: Error[] = [];
    b.onError?.((e) => lost.push(e));
    const { q, topic } = await freshQueue(b);
    const got: Delivery[] = [];
    await b.consume(q, async (d) => void got.push(d), { prefetch: 5 });
    await b.publish(topic, enc('before'), { messageId: 'before' });
    await waitFor(() => got.length === 1);

    // As a network reset does: the socket fails with an error (amqplib watches 'error' and 'end').
    (models[0].connection as unknown as { stream: Socket }).stream.destroy(
      new Error('test: connection reset'),
    );
    await waitFor(() => lost.length >= 1);
    const t0 = Date.now();
    const during = b.publish(topic, enc('x'), { messageId: 'during' });
    await expect(during).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(Date.now() - t0).toBeLessThan(1_000); // fails fast; waiting for the reconnect would resolve
    await expect(got[0].ack()).rejects.toBeInstanceOf(BrokerUnavailableError);

    await waitFor(() =>
      b.publish(topic, enc('after'), { messageId: 'after' }).then(
        () => true,
        () => false,
      ),
    );
    await waitFor(() => got.some((d) => d.messageId === 'after') && got.some((d) => d.redelivered));
    expect(got.find((d) => d.redelivered)?.messageId).toBe('before');
    for (const d of got.slice(1)) await d.ack();
    expect(lost.length).toBeGreaterThanOrEqual(1);
    expect(models).toHaveLength(2);
  });

  it.skipIf(!hasRabbitmqctl)('recovers when RabbitMQ force-closes the connection', async () => {
    const name = uniqueName('logfaas-test-conn');
    const b = await open({ connectionName: name });
    const { q, topic } = await freshQueue(b);
    const got: Delivery[] = [];
    await b.consume(q, async (d) => void got.push(d), { prefetch: 5 });
    // Close only this test's connection (found by its name): other suites share this RabbitMQ.
    const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '-q']);
    const pid = stdout
      .split('\n')
      .find((l) => l.includes(name))
      ?.split('\t')[0];
    expect(pid).toMatch(/^<.*>$/);
    await run('rabbitmqctl', ['close_connection', pid!, 'logfaas test: forced close']);
    await waitFor(() =>
      b.publish(topic, enc('after'), { messageId: 'fc' }).then(
        () => true,
        () => false,
      ),
    );
    await waitFor(() => got.length === 1);
    await got[0].ack();
  });

  it('takes the password from the secret over the URL and never logs either', async () => {
    const lines: string[] = [];
    const logger = createLogger({}, (l) => lines.push(l));
    const url = new URL(amqpUrl());
    url.password = 'url-sekret-1';
    const b = await createAmqpBroker(
      {
        amqpUrl: url.toString(),
        amqpPassword: new Secret(new URL(amqpUrl()).password || 'guest'),
        redisPrefix: 'x:',
        dataDir: 'x',
        secretsDir: '/nonexistent',
      },
      logger,
    );
    brokers.push(b);
    await b.publish(uniqueName('t'), enc('x'), { messageId: 'pw', allowUnrouted: true });
    await expect(
      connectAmqpBroker({ url: 'amqp://guest:url-sekret-2@127.0.0.1:1', logger, startupTimeoutMs: 300 }),
    ).rejects.toThrow(/not reachable/);
    const all = lines.join('');
    expect(all).toContain('using rabbitmq');
    expect(all).not.toMatch(/url-sekret/);
  });

  it('rejects a publish whose confirm does not arrive in time (the caller retries; ids dedupe)', async () => {
    const b = await open({ confirmTimeoutMs: 1 });
    const { q, topic } = await freshQueue(b);
    const big = new Uint8Array(8 * 1024 * 1024);
    await expect(b.publish(topic, big, { messageId: 'slow' })).rejects.toThrow(/not confirmed within 1 ms/);
    // Not confirmed is not "not delivered": the message may still land, hence at-least-once plus onceKey.
    await waitFor(async () => (await b.queueStats(q))?.messages === 1);
  });

  it('measures publish/confirm with 50 KB messages and sequential 2 KB latency', async () => {
    const b = await open();
    const { q, topic } = await freshQueue(b);
    const body = new Uint8Array(50 * 1024).fill(97);
    const n = 400;
    const t0 = performance.now();
    const window = 64;
    for (let i = 0; i < n; i += window) {
      await Promise.all(
        Array.from({ length: Math.min(window, n - i) }, (_, j) =>
          b.publish(topic, body, { messageId: `big-${i + j}` }),
        ),
      );
    }
    const secs = (performance.now() - t0) / 1000;
    const small = new Uint8Array(2 * 1024).fill(98);
    const lat: number[] = [];
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      await b.publish(topic, small, { messageId: `small-${i}` });
      lat.push(performance.now() - s);
    }
    lat.sort((a, z) => a - z);
    const median = lat[Math.floor(lat.length / 2)];
    console.log(
      `amqp: ${n} x 50 KB confirmed in ${secs.toFixed(2)} s = ${(n / secs).toFixed(0)} msg/s, ` +
        `${((n * 50) / 1024 / secs).toFixed(1)} MB/s; sequential 2 KB publish+confirm median ${median.toFixed(2)} ms`,
    );
    expect((await b.queueStats(q))?.messages).toBe(n + 30);
    expect(median).toBeLessThan(30); // Nagle on would put this near 40 ms
  });
});

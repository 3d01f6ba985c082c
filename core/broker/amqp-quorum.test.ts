// Quorum queues (AMQP_QUEUE_TYPE=quorum) beyond the contract: the declared arguments, the delivery limit
// dead-lettering a poison message, BROKER_NAMESPACE applied to the dead-letter route, the clear error
// for a classic queue redeclared as quorum, and the configuration that selects it.
import { afterEach, describe, expect, it } from 'vitest';
import { amqpUrl, requireService, tcpReachable, uniqueName } from '../../test/services.js';
import { deleteQueues } from '../../test/support/rabbitmq.js';
import { ConfigError, EnvReader } from '../env.js';
import { silentLogger } from '../log.js';
import { readStoreConfig } from '../stores-config.js';
import { connectAmqpBroker } from './amqp.js';
import { namespaced } from './namespace.js';
import { QueueMismatchError, queueArguments } from './queue-args.js';
import type { Broker, Delivery } from './types.js';

const rabbitUp = await requireService('rabbitmq', () => tcpReachable(amqpUrl(), 5672));
const enc = (s: string) => new TextEncoder().encode(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(get: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`waitFor: timed out (last: ${JSON.stringify(v)})`);
    await sleep(20);
  }
}

describe('queue arguments and AMQP_QUEUE_TYPE', () => {
  it('classic declares no arguments; quorum sets the type, and the limit and DLX where a DLQ is given', () => {
    const o = { deliveryLimit: 3 };
    expect(queueArguments({ deadLetterQueue: 'dlq' }, { type: 'classic', ...o })).toBeUndefined();
    expect(queueArguments({}, { type: 'quorum', ...o })).toEqual({ 'x-queue-type': 'quorum' });
    expect(queueArguments({ deadLetterQueue: 'dlq' }, { type: 'quorum', ...o })).toEqual({
      'x-queue-type': 'quorum',
      'x-delivery-limit': 3,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'dlq',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
  });

  it('reads AMQP_QUEUE_TYPE and AMQP_DELIVERY_LIMIT once, classic and 10 by default, and rejects bad values', () => {
    const read = (env: Record<string, string>) => {
      const r = new EnvReader(env);
      const c = readStoreConfig(r, env);
      r.done();
      return c.amqpQueues;
    };
    expect(read({})).toEqual({ type: 'classic', deliveryLimit: 10 });
    expect(read({ AMQP_QUEUE_TYPE: 'quorum', AMQP_DELIVERY_LIMIT: '4' })).toEqual({
      type: 'quorum',
      deliveryLimit: 4,
    });
    expect(() => read({ AMQP_QUEUE_TYPE: 'stream', AMQP_DELIVERY_LIMIT: '0' })).toThrow(ConfigError);
    expect(() => read({ AMQP_QUEUE_TYPE: 'stream' })).toThrow(/AMQP_QUEUE_TYPE="stream" must be one of/);
  });
});

describe.skipIf(!rabbitUp)('RabbitMQ quorum queues', () => {
  const queues: string[] = [];
  const brokers: Broker[] = [];
  const open = async (type: 'classic' | 'quorum', deliveryLimit = 2) => {
    const b = await connectAmqpBroker({
      url: amqpUrl(),
      logger: silentLogger,
      connectionName: 'logfaas-quorum-test',
      queues: { type, deliveryLimit },
    });
    brokers.push(b);
    return b;
  };
  afterEach(async () => {
    for (const b of brokers.splice(0)) await b.close();
    await deleteQueues(queues.splice(0));
  });

  it('dead-letters a message requeued past the delivery limit, under BROKER_NAMESPACE', async () => {
    const ns = uniqueName('qq');
    queues.push(`${ns}.work`, `${ns}.dead`);
    const b = namespaced(await open('quorum', 2), ns);
    await b.declareQueue({ name: 'dead', topics: [] });
    await b.declareQueue({ name: 'work', topics: ['in.poison'], deadLetterQueue: 'dead' });
    await b.publish('in.poison', enc('poison'), { messageId: 'p1', headers: { 'x-source': 't' } });
    // A consumer that dies on the message: each return to the queue counts one delivery.
    const counts: (string | undefined)[] = [];
    const c = await b.consume(
      'work',
      async (d) => {
        counts.push(d.headers['x-delivery-count']);
        await d.nack(true);
      },
      { prefetch: 1 },
    );
    const dead = (await waitFor(
      () => b.get('dead'),
      (d) => d !== null,
    )) as Delivery;
    await c.cancel();
    // The first delivery carries no count; the third (count = limit) is the last one.
    expect(counts).toEqual([undefined, '1', '2']);
    expect(new TextDecoder().decode(dead.body)).toBe('poison');
    expect(dead.messageId).toBe('p1');
    expect(dead.headers).toMatchObject({
      'x-source': 't',
      'x-first-death-reason': 'delivery_limit',
      'x-first-death-queue': `${ns}.work`,
    });
    await dead.ack();
    expect((await b.queueStats('work'))?.messages).toBe(0);
  });

  it('refuses to redeclare a classic queue as quorum with an error that says what to do', async () => {
    const q = uniqueName('logfaas-test-upgrade');
    queues.push(q);
    const classic = await open('classic');
    await classic.declareQueue({ name: q, topics: [] });
    await classic.sendToQueue(q, enc('kept'), { messageId: 'k1' });
    const quorum = await open('quorum');
    const err = await quorum.declareQueue({ name: q, topics: [] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QueueMismatchError);
    expect(String((err as Error).message)).toMatch(
      new RegExp(`queue ${q} already exists .*x-queue-type.*rabbitmqctl delete_queue ${q}.*BROKER_NAMESPACE`),
    );
    await expect(quorum.sendToQueue(q, enc('x'), { messageId: 'x' })).rejects.toBeInstanceOf(
      QueueMismatchError,
    );
    // The broker stays usable, and the classic queue and its message are untouched.
    expect((await classic.queueStats(q))?.messages).toBe(1);
    const other = uniqueName('logfaas-test-q');
    queues.push(other);
    await quorum.declareQueue({ name: other, topics: [] });
  });
});

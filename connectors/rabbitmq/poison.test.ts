// A poison message on quorum queues: one that took its consumer down each time it was delivered (here:
// returned unacked by hand, as a crashed connector's channel returns it). On the delivery RabbitMQ counts
// as the last (x-delivery-count = AMQP_DELIVERY_LIMIT) the connector dead-letters it in its usual form,
// without invoking the function again; the messages behind it flow on.
import { connect } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { connectAmqpBroker } from '../../core/broker/amqp.js';
import { namespaced } from '../../core/broker/namespace.js';
import { type Broker, DEAD_LETTER_QUEUE, type Delivery, queueFor } from '../../core/broker/types.js';
import { silentLogger } from '../../core/log.js';
import type { RunningGateway } from '../../gateway/start.js';
import { dropNamespace } from '../../runner/drop-namespace.js';
import { amqpUrl, requireService, tcpReachable, uniqueName } from '../../test/services.js';
import { startGatewayAndConnector, waitFor } from '../../test/support/gateway-connector.js';
import type { RunningConnector } from './connector.js';

const rabbitUp = await requireService('rabbitmq', () => tcpReachable(amqpUrl(), 5672));
const enc = (s: string) => new TextEncoder().encode(s);
const LIMIT = 3;

describe.skipIf(!rabbitUp)('connector on quorum queues: poison messages', () => {
  let ns = '';
  let broker: Broker | undefined;
  let gw: RunningGateway | undefined;
  let connector: RunningConnector | undefined;
  afterEach(async () => {
    await connector?.stop();
    await gw?.close();
    await broker?.close();
    await dropNamespace({ amqpUrl: amqpUrl(), ns, queues: [queueFor('crashy')] });
  });

  it('dead-letters a message redelivered AMQP_DELIVERY_LIMIT times, with its reason, and goes on', async () => {
    ns = uniqueName('poison');
    broker = namespaced(
      await connectAmqpBroker({
        url: amqpUrl(),
        logger: silentLogger,
        queues: { type: 'quorum', deliveryLimit: LIMIT },
      }),
      ns,
    );
    const queue = queueFor('crashy');
    // The connector's own declaration (it repeats it below): bound, with RabbitMQ's limit as a backstop.
    await broker.declareQueue({ name: DEAD_LETTER_QUEUE, topics: [] });
    await broker.declareQueue({ name: queue, topics: ['in.crashy'], deadLetterQueue: DEAD_LETTER_QUEUE });
    await broker.publish('in.crashy', enc('poison'), { messageId: 'p1', headers: { 'x-source': 'web' } });
    const conn = await connect(amqpUrl());
    const ch = await conn.createChannel();
    for (let i = 0; i < LIMIT; i++) {
      const m = await waitFor(
        () => ch.get(`${ns}.${queue}`),
        (v) => v !== false,
      );
      if (m) ch.nack(m, false, true);
    }
    await conn.close();

    const calls: string[] = [];
    ({ gw, connector } = await startGatewayAndConnector({
      broker,
      functions: [
        {
          name: 'crashy',
          annotations: { topic: 'in.crashy' },
          image: 'crashy',
          labels: {},
          environment: {},
          secrets: [],
        },
      ],
      upstreams: new Map([
        [
          'crashy',
          {
            kind: 'handler',
            handler: async (req: Request) => {
              calls.push(await req.text());
              return new Response(null, { status: 204 });
            },
          },
        ],
      ]),
      deliveryLimit: LIMIT,
    }));
    await connector.ready;
    const b = broker;
    const dl = (await waitFor(
      () => b.get(DEAD_LETTER_QUEUE),
      (d) => d !== null,
    )) as Delivery;
    expect(new TextDecoder().decode(dl.body)).toBe('poison');
    expect(dl.headers).toMatchObject({
      'x-dead-letter-reason': `redelivered ${LIMIT} times (AMQP_DELIVERY_LIMIT)`,
      'x-function': 'crashy',
      'x-original-topic': 'in.crashy',
      'x-source': 'web',
      'x-attempts': '0',
    });
    // The work queue's count is not carried over (basic.get on the dead-letter queue reports its own).
    expect(dl.headers['x-delivery-count']).not.toBe(String(LIMIT));
    await dl.ack();
    expect(calls).toEqual([]);

    // A replay copies the dead-letter queue's count into a new message: its first delivery is not a
    // redelivery, whatever the header says.
    await broker.publish('in.crashy', enc('fine'), {
      messageId: 'ok1',
      headers: { 'x-delivery-count': '50' },
    });
    await waitFor(
      async () => calls.length,
      (n) => n === 1,
    );
    expect(calls).toEqual(['fine']);
    expect(await b.get(DEAD_LETTER_QUEUE)).toBeNull();
  });
});

// The connector's wiring against the embedded broker and real RabbitMQ (classic and quorum queues) and a
// real gateway over HTTP: output published before ack, 4xx dead-lettered at once with its reason, 5xx/429
// retried.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectAmqpBroker } from '../../core/broker/amqp.js';
import { createMemoryBroker } from '../../core/broker/memory.js';
import { namespaced } from '../../core/broker/namespace.js';
import { type Broker, DEAD_LETTER_QUEUE, type Delivery, queueFor } from '../../core/broker/types.js';
import type { Handler } from '../../core/http/serve.js';
import { silentLogger } from '../../core/log.js';
import type { FunctionSpec } from '../../gateway/stack.js';
import type { RunningGateway } from '../../gateway/start.js';
import type { Upstream } from '../../gateway/upstream.js';
import { dropNamespace } from '../../runner/drop-namespace.js';
import { amqpUrl, requireService, tcpReachable, uniqueName } from '../../test/services.js';
import { startGatewayAndConnector, waitFor } from '../../test/support/gateway-connector.js';
import type { RunningConnector } from './connector.js';

const rabbitUp = await requireService('rabbitmq', () => tcpReachable(amqpUrl(), 5672));
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

const targets = [
  { name: 'embedded', up: true, open: async (): Promise<Opened> => ({ broker: createMemoryBroker() }) },
  ...(['classic', 'quorum'] as const).map((type) => ({
    name: `rabbitmq ${type}`,
    up: rabbitUp,
    open: async (): Promise<Opened> => {
      const ns = uniqueName('conn');
      const queues = { type, deliveryLimit: 10 };
      return {
        broker: namespaced(await connectAmqpBroker({ url: amqpUrl(), logger: silentLogger, queues }), ns),
        ns,
      };
    },
  })),
];
/** A broker for one test; `ns` when its queues live in the machine's RabbitMQ and must be removed. */
type Opened = { broker: Broker; ns?: string };

/** The test's functions; the connector declares one queue for each. */
const FUNCTION_NAMES = ['upper', 'sink', 'reject', 'flaky', 'busy', 'broken', 'sider', 'sidesink'] as const;

describe.each(targets)('connector over $name broker', (target) => {
  let broker: Broker;
  let ns: string | undefined;
  let gw: RunningGateway;
  let connector: RunningConnector;
  const calls: Record<string, number> = {};
  const seen: { fn: string; headers: Record<string, string>; body: string }[] = [];

  const fn =
    (name: string, respond: (n: number, body: string) => Response): Handler =>
    async (req: Request) => {
      calls[name] = (calls[name] ?? 0) + 1;
      const body = await req.text();
      seen.push({ fn: name, headers: Object.fromEntries(req.headers), body });
      return respond(calls[name], body);
    };

  beforeEach(async () => {
    if (!target.up) return;
    ({ broker, ns } = await target.open());
    const specs = (
      [
        { name: 'upper', annotations: { topic: 'in.upper', 'output-topic': 'out.upper' } },
        { name: 'sink', annotations: { topic: 'out.upper' } },
        { name: 'reject', annotations: { topic: 'in.reject' } },
        { name: 'flaky', annotations: { topic: 'in.flaky' } },
        { name: 'busy', annotations: { topic: 'in.busy' } },
        { name: 'broken', annotations: { topic: 'in.broken' } },
        {
          name: 'sider',
          annotations: { topic: 'in.side', 'output-topic': 'out.upper', 'side-output-topic': 'out.side' },
        },
        { name: 'sidesink', annotations: { topic: 'out.side' } },
      ] as { name: (typeof FUNCTION_NAMES)[number]; annotations: Record<string, string> }[]
    ).map(
      (s): FunctionSpec => ({
        ...s,
        annotations: { ...s.annotations },
        image: s.name,
        labels: {},
        environment: {},
        secrets: [],
      }),
    );
    const ups = new Map<string, Upstream>([
      ['upper', { kind: 'handler', handler: fn('upper', (_n, b) => new Response(b.toUpperCase())) }],
      ['sink', { kind: 'handler', handler: fn('sink', () => new Response(null, { status: 204 })) }],
      ['broken', { kind: 'handler', handler: fn('broken', () => new Response('boom', { status: 500 })) }],
      [
        'sider',
        {
          kind: 'handler',
          handler: fn(
            'sider',
            (_n, b) => new Response(b, { headers: { 'x-side-output': '{"incidents":[]}' } }),
          ),
        },
      ],
      ['sidesink', { kind: 'handler', handler: fn('sidesink', () => new Response(null, { status: 204 })) }],
      [
        'reject',
        { kind: 'handler', handler: fn('reject', () => new Response('{"error":"bad"}', { status: 400 })) },
      ],
      [
        'flaky',
        { kind: 'handler', handler: fn('flaky', (n) => new Response('x', { status: n < 3 ? 503 : 200 })) },
      ],
      [
        'busy',
        { kind: 'handler', handler: fn('busy', (n) => new Response('x', { status: n < 2 ? 429 : 200 })) },
      ],
    ]);
    ({ gw, connector } = await startGatewayAndConnector({
      broker,
      functions: specs,
      upstreams: ups,
    }));
    await connector.ready;
  });

  afterEach(async () => {
    if (!target.up) return;
    await connector.stop();
    await gw.close();
    await broker.close();
    if (ns) await dropNamespace({ amqpUrl: amqpUrl(), ns, queues: FUNCTION_NAMES.map(queueFor) });
    for (const k of Object.keys(calls)) delete calls[k];
    seen.length = 0;
  });

  it.skipIf(!target.up)(
    'invokes by topic, passes headers, publishes the output onward, then acks',
    async () => {
      await broker.publish('in.upper', enc('hello'), {
        messageId: 'm1',
        headers: { 'x-batch-id': 'b1', 'x-source': 'web' },
      });
      const got = await waitFor(
        () => seen.filter((s) => s.fn === 'sink'),
        (v) => v.length === 1,
      );
      expect(got[0].body).toBe('HELLO');
      expect(got[0].headers['x-batch-id']).toBe('b1/upper');
      expect(got[0].headers['x-source']).toBe('web');
      const up = seen.find((s) => s.fn === 'upper')!;
      expect(up.headers).toMatchObject({
        'x-topic': 'in.upper',
        'x-connector': 'test-connector',
        'x-message-id': 'm1',
      });
      expect(up.headers['x-call-id']).toBeTruthy();
      await waitFor(
        async () => (await broker.queueStats('logfaas.upper'))?.messages ?? -1,
        (n) => n === 0,
      );
    },
  );

  it.skipIf(!target.up)(
    'publishes a response x-side-output header to the side-output-topic, beside the main output',
    async () => {
      await broker.publish('in.side', enc('body'), {
        messageId: 's1',
        headers: { 'x-batch-id': 'b9', 'x-source': 'web' },
      });
      const side = await waitFor(
        () => seen.filter((s) => s.fn === 'sidesink'),
        (v) => v.length === 1,
      );
      expect(side[0].body).toBe('{"incidents":[]}');
      expect(side[0].headers).toMatchObject({
        'x-batch-id': 'b9/sider/side',
        'x-source': 'web',
        'content-type': 'application/json',
      });
      const main = await waitFor(
        () => seen.filter((s) => s.fn === 'sink'),
        (v) => v.length === 1,
      );
      expect(main[0].body).toBe('body');
      expect(main[0].headers['x-batch-id']).toBe('b9/sider');
    },
  );

  it.skipIf(!target.up)('dead-letters a 4xx at once, with the reason, and keeps going', async () => {
    await broker.publish('in.reject', enc('poison'), { messageId: 'p1' });
    await broker.publish('in.upper', enc('fine'), { messageId: 'ok1' });
    const dl = (await waitFor(
      () => broker.get(DEAD_LETTER_QUEUE),
      (d) => d !== null,
    )) as Delivery;
    expect(calls.reject).toBe(1);
    expect(dec(dl.body)).toBe('poison');
    expect(dl.headers).toMatchObject({
      'x-dead-letter-reason': 'HTTP 400',
      'x-function': 'reject',
      'x-original-topic': 'in.reject',
    });
    await dl.ack();
    await waitFor(
      () => seen.filter((s) => s.fn === 'sink').length,
      (n) => n === 1,
    );
  });

  it.skipIf(!target.up)('retries 503 and 429 with backoff until success, nothing dead-lettered', async () => {
    await broker.publish('in.flaky', enc('a'), { messageId: 'f1' });
    await broker.publish('in.busy', enc('b'), { messageId: 'q1' });
    await waitFor(
      () => [calls.flaky ?? 0, calls.busy ?? 0],
      ([f, b]) => f === 3 && b === 2,
    );
    await waitFor(
      async () => (await broker.queueStats('logfaas.flaky'))?.messages ?? -1,
      (n) => n === 0,
    );
    expect(await broker.get(DEAD_LETTER_QUEUE)).toBeNull();
  });

  it.skipIf(!target.up)(
    'dead-letters a message that fails with 5xx on every attempt, after MAX_ATTEMPTS',
    async () => {
      await broker.publish('in.broken', enc('always fails'), { messageId: 'x1' });
      const dl = (await waitFor(
        () => broker.get(DEAD_LETTER_QUEUE),
        (d) => d !== null,
      )) as Delivery;
      expect(dl.headers['x-function'], JSON.stringify(dl.headers)).toBe('broken');
      expect(calls.broken).toBe(5);
      expect(dl.headers).toMatchObject({
        'x-dead-letter-reason': 'HTTP 500 after 5 attempts',
        'x-attempts': '5',
      });
      await dl.ack();
    },
  );
});

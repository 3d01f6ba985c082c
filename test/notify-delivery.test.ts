// notify behind the real gateway and connector (embedded broker, in-process): a receiver that stays down
// makes notify answer 502, the connector retries with backoff and dead-letters the logs.incidents message
// after MAX_ATTEMPTS with its reason; one that recovers gets the alert on a retry, once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningConnector } from '../connectors/rabbitmq/connector.js';
import { createMemoryBroker } from '../core/broker/memory.js';
import { type Broker, DEAD_LETTER_QUEUE, type Delivery } from '../core/broker/types.js';
import { INCIDENT_KEYS } from '../core/incident.js';
import { createMemoryKv } from '../core/kv/memory.js';
import type { KV } from '../core/kv/types.js';
import { silentLogger } from '../core/log.js';
import { MODEL_KEYS } from '../core/model-status.js';
import { Secret } from '../core/secrets.js';
import { loadNotifyConfig } from '../functions/notify/config.js';
import { createNotifyHandler, type NotifyHandler } from '../functions/notify/handler.js';
import type { RunningGateway } from '../gateway/start.js';
import { incident } from './incident-fixture.js';
import { type Receiver, startReceiver } from './receiver.js';
import { startGatewayAndConnector, waitFor } from './support/gateway-connector.js';

const MAX_ATTEMPTS = 3;

describe('notify through the gateway and connector', () => {
  let broker: Broker;
  let kv: KV;
  let am: Receiver;
  /** Statuses Alertmanager answers first, in order; then `am.status`. */
  let answers: number[] = [];
  let notify: NotifyHandler;
  let gw: RunningGateway;
  let connector: RunningConnector;

  beforeEach(async () => {
    broker = createMemoryBroker();
    kv = await createMemoryKv();
    answers = [];
    am = await startReceiver(() => answers.shift());
    // Updated just now, so the periodic-pass rule (quiet for INCIDENT_QUIET) cannot close it here.
    const inc = incident({ updatedAt: Date.now() });
    await kv.apply([
      { op: 'hset', key: MODEL_KEYS.sources, fields: { web: '1' } },
      { op: 'hset', key: INCIDENT_KEYS.open('web'), fields: { g: JSON.stringify(inc) } },
    ]);
    notify = createNotifyHandler({
      kv,
      config: loadNotifyConfig({ ALERTMANAGER_URL: am.url }),
      logger: silentLogger,
    });
    const _password = new Secret('pw');
    ({ gw, connector } = await startGatewayAndConnector({
      broker,
      functions: [
        {
          name: 'notify',
          image: 'notify',
          labels: {},
          environment: {},
          secrets: [],
          annotations: { topic: 'logs.incidents' },
        },
      ],
      upstreams: new Map([['notify', { kind: 'handler', handler: notify }]]),
      maxAttempts: MAX_ATTEMPTS,
    }));
    await connector.ready;
  });

  afterEach(async () => {
    await connector.stop();
    await gw.close();
    notify.close();
    await am.close();
    await broker.close();
    await kv.close();
  });

  const publish = () =>
    broker.publish(
      'logs.incidents',
      new TextEncoder().encode(
        JSON.stringify({ incidents: [{ source: 'web', id: 'abc123', state: 'opened' }] }),
      ),
      { messageId: 'm1', contentType: 'application/json' },
    );

  it('dead-letters after MAX_ATTEMPTS when Alertmanager stays down, with the reason', async () => {
    am.status = 503;
    await publish();
    const dl = (await waitFor(
      () => broker.get(DEAD_LETTER_QUEUE),
      (d) => d !== null,
    )) as Delivery;
    expect(dl.headers).toMatchObject({
      'x-function': 'notify',
      'x-original-topic': 'logs.incidents',
      'x-dead-letter-reason': `HTTP 502 after ${MAX_ATTEMPTS} attempts`,
    });
    expect(am.received).toHaveLength(MAX_ATTEMPTS);
    await dl.ack();
  });

  it('delivers on a retry once Alertmanager is back, and only once', async () => {
    answers = [503];
    await publish();
    await waitFor(
      async () => (await broker.queueStats('logfaas.notify'))?.messages ?? -1,
      (n) => n === 0 && am.answered.length === 2,
    );
    expect(am.answered).toEqual([503, 200]);
    expect(await broker.get(DEAD_LETTER_QUEUE)).toBeNull();
    // The same change again (a redelivery): nothing more to send.
    await publish();
    await new Promise((r) => setTimeout(r, 200));
    expect(am.answered).toEqual([503, 200]);
  });
});

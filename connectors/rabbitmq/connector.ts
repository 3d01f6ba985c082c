// The connector loop: poll the gateway for functions, (re)build the topic map, declare one durable queue
// per function bound to its topics, and consume only once the first map exists.
import { QueueMismatchError } from '../../core/broker/queue-args.js';
import { type Broker, type Consumer, DEAD_LETTER_QUEUE, queueFor } from '../../core/broker/types.js';
import type { Logger } from '../../core/log.js';
import type { RetryPolicy } from '../../core/retry-decision.js';
import { deliver } from './deliver.js';
import type { GatewayClient } from './gateway-client.js';
import { buildSubscriptions, type Subscription, subscribedTopics } from './topic-map.js';

export interface ConnectorDeps {
  broker: Broker;
  gateway: GatewayClient;
  logger: Logger;
  prefetch: number;
  retry: RetryPolicy;
  rebuildIntervalMs: number;
  /** Quorum queues' AMQP_DELIVERY_LIMIT (undefined for classic queues, which count no deliveries). */
  deliveryLimit?: number;
}

export interface RunningConnector {
  /** Resolves once the first topic map was built and consumers started. */
  ready: Promise<void>;
  subscriptions(): Subscription[];
  inflight(): number;
  stop(): Promise<void>;
}

export function startConnector(deps: ConnectorDeps): RunningConnector {
  const log = deps.logger;
  const consumers = new Map<string, { sub: Subscription; consumer: Consumer }>();
  let subs: Subscription[] = [];
  let subscribed = new Set<string>();
  let stopping = false;
  let inflight = 0;
  let timer: NodeJS.Timeout | undefined;
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  let failures = 0;

  async function rebuild(): Promise<void> {
    const next = buildSubscriptions(await deps.gateway.listFunctions());
    subs = next;
    subscribed = subscribedTopics(next);
    await deps.broker.declareQueue({ name: DEAD_LETTER_QUEUE, topics: [] });
    // Declare every queue before consuming any, so outputs of one function are routed to the next.
    for (const s of next)
      await deps.broker.declareQueue({
        name: queueFor(s.fn),
        topics: s.topics,
        deadLetterQueue: DEAD_LETTER_QUEUE,
      });
    for (const s of next) {
      const cur = consumers.get(s.fn);
      if (cur && JSON.stringify(cur.sub) === JSON.stringify(s)) continue;
      if (cur) await cur.consumer.cancel();
      const consumer = await deps.broker.consume(
        queueFor(s.fn),
        async (d) => {
          inflight++;
          try {
            await deliver(consumers.get(s.fn)?.sub ?? s, d, {
              broker: deps.broker,
              gateway: deps.gateway,
              retry: deps.retry,
              deliveryLimit: deps.deliveryLimit,
              logger: log,
              subscribed: () => subscribed,
              stopping: () => stopping,
            });
          } finally {
            inflight--;
          }
        },
        { prefetch: deps.prefetch },
      );
      consumers.set(s.fn, { sub: s, consumer });
      log.info('subscribed', { fn: s.fn, topics: s.topics, outputTopic: s.outputTopic });
    }
    for (const [fn, c] of consumers) {
      if (!next.some((s) => s.fn === fn)) {
        await c.consumer.cancel();
        consumers.delete(fn);
        log.info('unsubscribed', { fn });
      }
    }
  }

  async function loop(): Promise<void> {
    if (stopping) return;
    let delay = deps.rebuildIntervalMs;
    try {
      await rebuild();
      failures = 0;
      markReady();
    } catch (e) {
      failures++;
      // Reconnect to the gateway forever, backing off to the rebuild interval at most.
      delay = Math.min(deps.rebuildIntervalMs, 250 * 2 ** Math.min(failures, 6));
      // A queue declared with other arguments will not fix itself: say so every time, as an error.
      if (e instanceof QueueMismatchError) log.error('cannot declare queues', { err: e.message, failures });
      else if (failures === 1 || failures % 20 === 0)
        log.warn('cannot build topic map yet', { err: String(e), failures });
    }
    if (!stopping) timer = setTimeout(() => void loop(), delay);
  }
  void loop();

  return {
    ready,
    subscriptions: () => subs,
    inflight: () => inflight,
    async stop() {
      stopping = true;
      clearTimeout(timer);
      for (const c of consumers.values()) await c.consumer.cancel().catch(() => {});
      const until = Date.now() + 10_000;
      while (inflight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

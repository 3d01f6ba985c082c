// The RabbitMQ broker (amqplib): a confirm channel for publishing, one channel per consumer with manual
// ack, topology re-declared and consumers re-established after every reconnect (amqp-link.ts).
// Outage policy: fail fast. While the connection is down or blocked, publish/declare/get reject with
// BrokerUnavailableError; publishes in flight when it drops reject too. Only a broker ack resolves.
import type { Channel, ChannelModel, Message } from 'amqplib';
import type { Logger } from '../log.js';
import type { Secret } from '../secrets.js';
import { toDelivery } from './amqp-delivery.js';
import { openLink } from './amqp-link.js';
import { createPublisher } from './amqp-publish.js';
import { explainDeclareError, type QueueTypeOptions, queueArguments } from './queue-args.js';
import {
  type Broker,
  BrokerUnavailableError,
  type Consumer,
  type Delivery,
  EXCHANGE,
  type QueueSpec,
} from './types.js';

export interface AmqpBrokerOptions {
  url: string;
  /** Overrides the URL's password; never logged. */
  password?: Secret;
  logger: Logger;
  connectionName?: string;
  /** How long the factory waits for the first connection (default 30 s). */
  startupTimeoutMs?: number;
  /** A publish not confirmed within this rejects (default 30 s): a stuck broker must not hang producers. */
  confirmTimeoutMs?: number;
  /** Observes every new connection (tests use it to cut the socket). */
  onConnect?: (model: ChannelModel) => void;
  /** Queue type and quorum delivery limit (default: classic, as every queue was before the option). */
  queues?: QueueTypeOptions;
}

interface ConsumerState {
  queue: string;
  onMessage: (d: Delivery) => Promise<void>;
  prefetch: number;
  ch?: Channel;
  tag?: string;
  cancelled: boolean;
  inflight: Set<Promise<void>>;
}

const unavailable = () => new BrokerUnavailableError('broker connection is down (reconnecting)');
const isNotFound = (err: unknown) => (err as { code?: number }).code === 404;

/** Connects to RabbitMQ (waiting up to startupTimeoutMs) and returns the Broker over it. */
export async function connectAmqpBroker(opts: AmqpBrokerOptions): Promise<Broker> {
  const { logger } = opts;
  const confirmTimeoutMs = opts.confirmTimeoutMs ?? 30_000;
  const queues: QueueTypeOptions = opts.queues ?? { type: 'classic', deliveryLimit: 0 };
  const link = openLink({
    url: opts.url,
    password: opts.password,
    logger,
    connectionName: opts.connectionName ?? 'logfaas',
  });
  const topology = new Map<string, { topics: Set<string>; deadLetterQueue?: string }>();
  const asserted = new Set<string>(); // queues asserted by sendToQueue on this connection
  const consumers = new Set<ConsumerState>();
  const openGets = new Set<Channel>();
  let admin: Promise<Channel> | undefined;
  let closed = false;

  const model = (): ChannelModel => {
    if (closed) throw new BrokerUnavailableError('broker is closed');
    if (!link.model) throw unavailable();
    return link.model;
  };

  /** A fresh channel; a connection lost meanwhile surfaces as BrokerUnavailableError, not amqplib's error. */
  const newChannel = async (): Promise<Channel> => {
    const m = model();
    try {
      const ch = await m.createChannel();
      ch.on('error', () => {}); // channel errors also reject the pending call, which reports them
      return ch;
    } catch (err) {
      throw new BrokerUnavailableError(`cannot open a channel: ${(err as Error).message}`);
    }
  };

  const publisher = createPublisher({ model, blocked: () => link.blocked, logger, confirmTimeoutMs });

  const adminChannel = (): Promise<Channel> => {
    const m = model();
    if (!admin) {
      const p = m.createChannel().then(
        (ch) => {
          ch.on('error', (err: Error) => logger.warn('broker: admin channel error', { err: err.message }));
          ch.on('close', () => {
            if (admin === p) admin = undefined;
          });
          return ch;
        },
        (err: Error) => {
          throw new BrokerUnavailableError(`cannot open a channel: ${err.message}`);
        },
      );
      p.catch(() => {
        if (admin === p) admin = undefined;
      });
      admin = p;
    }
    return admin;
  };

  const assertQueue = async (ch: Channel, spec: Pick<QueueSpec, 'name' | 'deadLetterQueue'>) => {
    try {
      await ch.assertQueue(spec.name, { durable: true, arguments: queueArguments(spec, queues) });
    } catch (err) {
      throw explainDeclareError(err, spec.name, queues.type);
    }
  };

  const declare = async (ch: Channel, spec: QueueSpec) => {
    await assertQueue(ch, spec);
    for (const topic of spec.topics) await ch.bindQueue(spec.name, EXCHANGE, topic);
  };

  const startConsumer = async (c: ConsumerState, m: ChannelModel) => {
    const ch = await m.createChannel();
    ch.on('error', (err: Error) =>
      logger.warn('broker: consumer channel error', { queue: c.queue, err: err.message }),
    );
    ch.on('close', () => {
      if (c.ch !== ch) return;
      c.ch = undefined;
      // A channel-level failure on a live connection: re-establish this consumer alone after a pause.
      if (!c.cancelled && !closed && link.model === m) setTimeout(() => void restartConsumer(c, m), 1_000);
    });
    try {
      await ch.prefetch(c.prefetch);
      const ok = await ch.consume(c.queue, (msg) => (msg ? dispatch(c, ch, msg) : onServerCancel(c)), {
        noAck: false,
      });
      c.ch = ch;
      c.tag = ok.consumerTag;
    } catch (err) {
      await ch.close().catch(() => {});
      throw err;
    }
  };

  const restartConsumer = async (c: ConsumerState, m: ChannelModel) => {
    if (c.cancelled || closed || link.model !== m || c.ch) return;
    await startConsumer(c, m).catch((err: Error) => {
      logger.error('broker: could not re-establish consumer', { queue: c.queue, err: err.message });
      setTimeout(() => void restartConsumer(c, m), 5_000);
    });
  };

  const onServerCancel = (c: ConsumerState) => {
    logger.warn('broker: consumer cancelled by RabbitMQ (queue deleted?)', { queue: c.queue });
  };

  const dispatch = (c: ConsumerState, ch: Channel, msg: Message) => {
    const d = toDelivery(msg, ch);
    const run: Promise<void> = c
      .onMessage(d)
      .catch(async (err: Error) => {
        logger.error('broker: handler failed without settling; requeueing', {
          queue: c.queue,
          err: err.message,
        });
        await d.nack(true).catch(() => {});
      })
      .finally(() => c.inflight.delete(run));
    c.inflight.add(run);
  };

  link.onSetup(async (m) => {
    opts.onConnect?.(m);
    publisher.reset();
    admin = undefined;
    asserted.clear();
    const ch = await m.createChannel();
    await ch.assertExchange(EXCHANGE, 'topic', { durable: true });
    for (const [name, t] of topology)
      await declare(ch, { name, topics: [...t.topics], deadLetterQueue: t.deadLetterQueue });
    await ch.close();
    await publisher.open(m);
    for (const c of consumers) {
      c.ch = undefined;
      // One consumer that cannot start (its queue was deleted) must not keep the whole broker down.
      if (!c.cancelled)
        await startConsumer(c, m).catch(() => setTimeout(() => void restartConsumer(c, m), 1_000));
    }
  });
  link.onDown(() => {
    publisher.reset();
    admin = undefined;
    for (const c of consumers) c.ch = undefined;
  });
  try {
    await link.ready(opts.startupTimeoutMs ?? 30_000);
  } catch (err) {
    await link.close();
    throw err;
  }

  return {
    async publish(topic, body, o) {
      await publisher.publish(EXCHANGE, topic, body, o, !o.allowUnrouted);
    },
    async sendToQueue(queue, body, o) {
      if (!asserted.has(queue)) {
        await assertQueue(await adminChannel(), { name: queue });
        asserted.add(queue);
      }
      await publisher.publish('', queue, body, o, true);
    },
    async declareQueue(spec) {
      await declare(await adminChannel(), spec);
      const t = topology.get(spec.name) ?? { topics: new Set<string>() };
      for (const topic of spec.topics) t.topics.add(topic);
      if (spec.deadLetterQueue) t.deadLetterQueue = spec.deadLetterQueue;
      topology.set(spec.name, t);
    },
    async consume(queue, onMessage, { prefetch }) {
      if (!Number.isInteger(prefetch) || prefetch < 1) throw new TypeError('consume: prefetch must be >= 1');
      const c: ConsumerState = { queue, onMessage, prefetch, cancelled: false, inflight: new Set() };
      await startConsumer(c, model());
      consumers.add(c);
      return {
        async cancel() {
          if (c.cancelled) return;
          c.cancelled = true;
          consumers.delete(c);
          const ch = c.ch;
          if (ch && c.tag) await ch.cancel(c.tag).catch(() => {});
          // Let handlers finish (and ack); closing the channel then requeues whatever stayed unacked.
          await Promise.allSettled([...c.inflight]);
          c.ch = undefined;
          await ch?.close().catch(() => {});
        },
      } satisfies Consumer;
    },
    async get(queue) {
      // A channel per get: basic.get on a missing queue closes its channel, and the message stays
      // unacked on it until the caller settles; the channel closes with the settle.
      const ch = await newChannel();
      const closeCh = () => {
        openGets.delete(ch);
        return ch.close().catch(() => {});
      };
      openGets.add(ch);
      let msg: Message | false;
      try {
        msg = await ch.get(queue, { noAck: false });
      } catch (err) {
        await closeCh();
        if (isNotFound(err)) return null;
        throw err;
      }
      if (!msg) {
        await closeCh();
        return null;
      }
      return toDelivery(msg, ch, closeCh);
    },
    async queueStats(queue) {
      // checkQueue on a missing queue closes the channel (404), so it gets a throwaway one.
      const ch = await newChannel();
      try {
        const ok = await ch.checkQueue(queue);
        return { name: queue, messages: ok.messageCount, consumers: ok.consumerCount };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      } finally {
        await ch.close().catch(() => {});
      }
    },
    onError(listener) {
      link.onDown(listener);
    },
    async close() {
      if (closed) return;
      for (const c of [...consumers]) {
        c.cancelled = true;
        if (c.ch && c.tag) await c.ch.cancel(c.tag).catch(() => {});
      }
      await Promise.allSettled([...consumers].flatMap((c) => [...c.inflight]));
      await publisher.settle(5_000); // a graceful close lets publishes in flight get their confirms
      closed = true;
      for (const ch of openGets) await ch.close().catch(() => {});
      await link.close();
    },
  };
}

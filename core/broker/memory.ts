// The embedded broker: RabbitMQ's semantics in one process (npm start), for the contract suite to hold
// it to: topic routing, unroutable rejection, per-consumer prefetch, manual ack, requeue with redelivered.
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { loadBrokerSnapshot, saveBrokerSnapshot } from './memory-snapshot.js';
import { topicMatches } from './topic-match.js';
import {
  type Broker,
  BrokerUnavailableError,
  type Consumer,
  type Delivery,
  type PublishOptions,
  type QueueStats,
  type StoredMessage,
  UnroutableError,
} from './types.js';

type Msg = StoredMessage;

/** Settles a delivery by putting its message back (redelivered), as a closing AMQP channel does. */
type Release = () => void;

interface Sub {
  onMessage: (d: Delivery) => Promise<void>;
  prefetch: number;
  /** Deliveries not yet acked or nacked. */
  unacked: Set<Release>;
  inflight: Set<Promise<void>>;
  cancelled: boolean;
}

interface Queue {
  name: string;
  patterns: Set<string>;
  ready: Msg[];
  subs: Sub[];
  /** Messages taken with get() and not settled yet. */
  gets: Set<Release>;
  /** Round-robin position, as RabbitMQ spreads deliveries over a queue's consumers. */
  next: number;
}

export interface MemoryBrokerOptions {
  logger?: Logger;
  /** Where queues are saved on close and reloaded from on start (`broker.json`); absent = memory only. */
  dataDir?: string;
}

/** The in-process broker. With a dataDir, it reloads the queues (and their messages) saved by close(). */
export function createMemoryBroker(opts: MemoryBrokerOptions = {}): Broker {
  const logger = opts.logger ?? silentLogger;
  const queues = new Map<string, Queue>();
  for (const saved of opts.dataDir ? loadBrokerSnapshot(opts.dataDir) : []) {
    queues.set(saved.name, {
      name: saved.name,
      patterns: new Set(saved.patterns),
      ready: saved.messages,
      subs: [],
      gets: new Set(),
      next: 0,
    });
  }
  const errorListeners: ((err: Error) => void)[] = [];
  let closed = false;

  const live = () => {
    if (closed) throw new BrokerUnavailableError('broker is closed');
  };
  const queue = (name: string): Queue => {
    let q = queues.get(name);
    if (!q) {
      q = { name, patterns: new Set(), ready: [], subs: [], gets: new Set(), next: 0 };
      queues.set(name, q);
    }
    return q;
  };
  const copy = (topic: string, body: Uint8Array, o: PublishOptions): Msg => ({
    body: new Uint8Array(body), // the publisher may reuse its buffer; RabbitMQ would have a copy too
    messageId: o.messageId,
    headers: { ...o.headers },
    ...(o.contentType ? { contentType: o.contentType } : {}),
    topic,
    redelivered: false,
  });

  const deliver = (q: Queue, m: Msg, sub: Sub | undefined): Delivery => {
    const unsettled = sub ? sub.unacked : q.gets;
    let settled = false;
    const settle = async (requeue: boolean) => {
      if (settled) return;
      settled = true;
      unsettled.delete(release);
      if (requeue) q.ready.unshift({ ...m, redelivered: true });
      schedule(q);
    };
    const release: Release = () => void settle(true);
    unsettled.add(release);
    return {
      body: m.body,
      messageId: m.messageId,
      headers: { ...m.headers },
      ...(m.contentType ? { contentType: m.contentType } : {}),
      topic: m.topic,
      redelivered: m.redelivered,
      ack: () => settle(false),
      nack: (requeue) => settle(requeue),
    };
  };

  // Delivery runs on a later tick, never inside publish/ack: handlers must not re-enter the caller.
  const scheduled = new Set<Queue>();
  const schedule = (q: Queue) => {
    if (scheduled.has(q)) return;
    scheduled.add(q);
    setImmediate(() => {
      scheduled.delete(q);
      pump(q);
    });
  };
  const pump = (q: Queue) => {
    while (q.ready.length > 0 && !closed) {
      const sub = pickSub(q);
      if (!sub) return;
      const d = deliver(q, q.ready.shift()!, sub);
      const run: Promise<void> = Promise.resolve()
        .then(() => sub.onMessage(d))
        .catch(async (err: Error) => {
          logger.error('broker: handler failed without settling; requeueing', {
            queue: q.name,
            err: err.message,
          });
          await d.nack(true);
        })
        .finally(() => sub.inflight.delete(run));
      sub.inflight.add(run);
    }
  };
  const pickSub = (q: Queue): Sub | undefined => {
    for (let i = 0; i < q.subs.length; i++) {
      const s = q.subs[(q.next + i) % q.subs.length];
      if (!s.cancelled && s.unacked.size < s.prefetch) {
        q.next = (q.next + i + 1) % q.subs.length;
        return s;
      }
    }
    return undefined;
  };
  const enqueue = (q: Queue, m: Msg) => {
    q.ready.push(m);
    schedule(q);
  };

  return {
    async publish(topic, body, o) {
      live();
      const targets = [...queues.values()].filter((q) => [...q.patterns].some((p) => topicMatches(p, topic)));
      if (targets.length === 0 && !o.allowUnrouted) throw new UnroutableError(topic);
      for (const q of targets) enqueue(q, copy(topic, body, o));
    },
    async sendToQueue(name, body, o) {
      live();
      enqueue(queue(name), copy(name, body, o));
    },
    async declareQueue(spec) {
      live();
      const q = queue(spec.name);
      for (const t of spec.topics) q.patterns.add(t);
    },
    async consume(name, onMessage, { prefetch }) {
      live();
      if (!Number.isInteger(prefetch) || prefetch < 1) throw new TypeError('consume: prefetch must be >= 1');
      const q = queues.get(name);
      if (!q) throw new Error(`consume: no queue ${name} (declare it first)`);
      const sub: Sub = { onMessage, prefetch, unacked: new Set(), inflight: new Set(), cancelled: false };
      q.subs.push(sub);
      schedule(q);
      const consumer: Consumer = {
        async cancel() {
          if (sub.cancelled) return;
          sub.cancelled = true;
          await Promise.allSettled([...sub.inflight]);
          q.subs.splice(q.subs.indexOf(sub), 1);
          // As when an AMQP channel closes: whatever the consumer left unacked goes back to the queue.
          for (const release of [...sub.unacked].reverse()) release();
          schedule(q);
        },
      };
      return consumer;
    },
    async get(name) {
      live();
      const q = queues.get(name);
      const m = q?.ready.shift();
      return q && m ? deliver(q, m, undefined) : null;
    },
    async queueStats(name): Promise<QueueStats | null> {
      live();
      const q = queues.get(name);
      return q
        ? { name, messages: q.ready.length, consumers: q.subs.filter((s) => !s.cancelled).length }
        : null;
    },
    onError(listener) {
      errorListeners.push(listener); // an in-process broker never loses its connection
    },
    async close() {
      if (closed) return;
      const subs = [...queues.values()].flatMap((q) => q.subs);
      for (const s of subs) s.cancelled = true;
      await Promise.allSettled(subs.flatMap((s) => [...s.inflight]));
      closed = true;
      // Whatever is still unacked goes back to its queue, as when RabbitMQ loses a consumer's channel.
      for (const q of queues.values()) {
        for (const release of [...q.gets, ...q.subs.flatMap((s) => [...s.unacked])].reverse()) release();
      }
      if (opts.dataDir) {
        const saved = [...queues.values()].map((q) => ({
          name: q.name,
          patterns: [...q.patterns],
          messages: q.ready,
        }));
        await saveBrokerSnapshot(opts.dataDir, saved);
        logger.info('broker: embedded queues saved', {
          messages: saved.reduce((n, q) => n + q.messages.length, 0),
        });
      }
    },
  };
}

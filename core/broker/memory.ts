// The embedded broker: RabbitMQ's semantics in one process (npm start), for the contract suite to hold
// it to: topic routing, unroutable rejection, per-consumer prefetch, manual ack, requeue with redelivered.
// Memory is bounded as RabbitMQ's flow control does it: a publish to a queue holding maxQueueBytes of
// ready messages waits until consumers take some (the producer's HTTP answer waits with it, and the
// connector stops taking input while its output waits), and fails as unavailable after publishWaitMs.
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
  /** Body bytes of the ready messages. */
  bytes: number;
  /** Publishers waiting for this queue to drain below the limit. */
  waiting: (() => void)[];
}

export interface MemoryBrokerOptions {
  logger?: Logger;
  /** Where queues are saved on close and reloaded from on start (`broker.json`); absent = memory only. */
  dataDir?: string;
  /** Ready bytes a topic-bound queue holds before publishes to it wait (default 8 MiB). */
  maxQueueBytes?: number;
  /** How long a publish waits for room before failing with BrokerUnavailableError (default 30 s). */
  publishWaitMs?: number;
}

export const DEFAULT_EMBEDDED_QUEUE_BYTES = 8 * 1024 * 1024;

/** The in-process broker. With a dataDir, it reloads the queues (and their messages) saved by close(). */
export function createMemoryBroker(opts: MemoryBrokerOptions = {}): Broker {
  const logger = opts.logger ?? silentLogger;
  const maxBytes = opts.maxQueueBytes ?? DEFAULT_EMBEDDED_QUEUE_BYTES;
  const waitMs = opts.publishWaitMs ?? 30_000;
  const queues = new Map<string, Queue>();
  for (const saved of opts.dataDir ? loadBrokerSnapshot(opts.dataDir) : []) {
    queues.set(saved.name, {
      name: saved.name,
      patterns: new Set(saved.patterns),
      ready: saved.messages,
      subs: [],
      gets: new Set(),
      next: 0,
      bytes: saved.messages.reduce((n, m) => n + m.body.byteLength, 0),
      waiting: [],
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
      q = { name, patterns: new Set(), ready: [], subs: [], gets: new Set(), next: 0, bytes: 0, waiting: [] };
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
      if (requeue) {
        q.ready.unshift({ ...m, redelivered: true });
        q.bytes += m.body.byteLength;
      }
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
      const d = deliver(q, take(q), sub);
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
    q.bytes += m.body.byteLength;
    schedule(q);
  };
  /** Takes the next ready message, waking publishers once the queue is below its limit. */
  const take = (q: Queue): Msg => {
    const m = q.ready.shift()!;
    q.bytes -= m.body.byteLength;
    if (q.bytes < maxBytes) for (const wake of q.waiting.splice(0)) wake();
    return m;
  };
  /** Waits until every target queue is below the limit (or fails after publishWaitMs). */
  const room = async (targets: Queue[]) => {
    const until = Date.now() + waitMs;
    for (
      let full = targets.find((q) => q.bytes >= maxBytes);
      full;
      full = targets.find((q) => q.bytes >= maxBytes)
    ) {
      const left = until - Date.now();
      if (left <= 0 || closed)
        throw new BrokerUnavailableError(`queue ${full.name} is full (${maxBytes} bytes ready)`);
      const q = full;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          const i = q.waiting.indexOf(wake);
          if (i >= 0) q.waiting.splice(i, 1);
          resolve();
        }, left);
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        q.waiting.push(wake);
      });
    }
  };

  return {
    async publish(topic, body, o) {
      live();
      const targets = [...queues.values()].filter((q) => [...q.patterns].some((p) => topicMatches(p, topic)));
      if (targets.length === 0 && !o.allowUnrouted) throw new UnroutableError(topic);
      await room(targets);
      live();
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
      return q && q.ready.length > 0 ? deliver(q, take(q), undefined) : null;
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
      // Publishers waiting for room fail now (BrokerUnavailableError) instead of at their deadline.
      for (const q of queues.values()) for (const wake of q.waiting.splice(0)) wake();
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

// A Broker decorator that prefixes every topic and queue name with a namespace, so independent stacks
// (and parallel test runs) can share one RabbitMQ. Callers keep using logical names.
import type { Broker, Delivery, QueueSpec } from './types.js';

export function namespaced(inner: Broker, ns: string | undefined): Broker {
  if (!ns) return inner;
  const p = (name: string) => `${ns}.${name}`;
  const strip = (d: Delivery): Delivery => {
    const topic = d.topic.startsWith(`${ns}.`) ? d.topic.slice(ns.length + 1) : d.topic;
    return {
      body: d.body,
      messageId: d.messageId,
      headers: d.headers,
      contentType: d.contentType,
      topic,
      redelivered: d.redelivered,
      ack: () => d.ack(),
      nack: (requeue) => d.nack(requeue),
    };
  };
  return {
    publish: (topic, body, opts) => inner.publish(p(topic), body, opts),
    sendToQueue: (queue, body, opts) => inner.sendToQueue(p(queue), body, opts),
    declareQueue: (spec: QueueSpec) =>
      inner.declareQueue({
        name: p(spec.name),
        topics: spec.topics.map(p),
        ...(spec.deadLetterQueue ? { deadLetterQueue: p(spec.deadLetterQueue) } : {}),
      }),
    consume: (queue, onMessage, opts) => inner.consume(p(queue), (d) => onMessage(strip(d)), opts),
    get: async (queue) => {
      const d = await inner.get(p(queue));
      return d ? strip(d) : null;
    },
    queueStats: async (queue) => {
      const s = await inner.queueStats(p(queue));
      return s ? { ...s, name: queue } : null;
    },
    onError: inner.onError?.bind(inner),
    close: () => inner.close(),
  };
}

// One message, start to finish: invoke the function through the gateway, retry or dead-letter as
// decide() says, publish the response to the output topic (with confirm), and only then ack.
import { type Broker, DEAD_LETTER_QUEUE, type Delivery } from '../../core/broker/types.js';
import { deriveBatchId, H } from '../../core/headers.js';
import type { Logger } from '../../core/log.js';
import { backoff, decide, type RetryPolicy } from '../../core/retry-decision.js';
import type { GatewayClient } from './gateway-client.js';
import type { Subscription } from './topic-map.js';

export interface DeliverDeps {
  broker: Broker;
  gateway: GatewayClient;
  retry: RetryPolicy;
  /** Quorum queues: a delivery whose x-delivery-count reached this is the last RabbitMQ allows. */
  deliveryLimit?: number;
  logger: Logger;
  /** Topics some function subscribes to (publishing there must be routed). */
  subscribed: () => Set<string>;
  stopping: () => boolean;
  sleep?: (ms: number) => Promise<void>;
}

const ENC = new TextEncoder();

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function deliver(sub: Subscription, d: Delivery, deps: DeliverDeps): Promise<void> {
  const sleep = deps.sleep ?? defaultSleep;
  let attempt = 1;
  let waits = 0;
  // A message redelivered this often took its consumer down each time (a poison message): dead-letter
  // it here, in the usual form, rather than let RabbitMQ's delivery limit do it without our headers.
  // RabbitMQ sets the count on redeliveries only; on a first delivery the header is a publisher's
  // (a replay copies the dead-letter queue's own count), so it means nothing.
  const redeliveries = d.redelivered ? Number(d.headers['x-delivery-count'] ?? 0) : 0;
  if (deps.deliveryLimit !== undefined && redeliveries >= deps.deliveryLimit) {
    return deadLetter(sub, d, deps, `redelivered ${redeliveries} times (AMQP_DELIVERY_LIMIT)`, 0);
  }
  for (;;) {
    if (deps.stopping()) return d.nack(true);
    const res = await deps.gateway.invoke(sub.fn, d, attempt);
    const decision = decide(res.outcome, attempt, deps.retry);
    if (decision.action === 'ack') {
      const batchId =
        res.headers?.get(H.batchId) ?? deriveBatchId(d.headers[H.batchId] ?? d.messageId, sub.fn);
      if (sub.outputTopic && res.body && res.body.length > 0) {
        const contentType = res.headers?.get('content-type') ?? undefined;
        await publishOutput({ topic: sub.outputTopic, body: res.body, batchId, contentType }, d, deps, sleep);
      }
      // The response header x-side-output (detect-anomaly: its incident changes) goes to the
      // side-output-topic, under its own batch id so it never collides with the main output's.
      const side = sub.sideOutputTopic ? res.headers?.get(H.sideOutput) : undefined;
      if (sub.sideOutputTopic && side) {
        await publishOutput(
          {
            topic: sub.sideOutputTopic,
            body: ENC.encode(side),
            batchId: deriveBatchId(batchId, 'side'),
            contentType: 'application/json',
          },
          d,
          deps,
          sleep,
        );
      }
      return d.ack();
    }
    if (decision.action === 'dead-letter') return deadLetter(sub, d, deps, decision.reason, attempt);
    if (waits++ % 10 === 0) {
      deps.logger.warn('invocation failed, retrying', {
        fn: sub.fn,
        messageId: d.messageId,
        reason: decision.reason,
        attempt,
      });
    }
    await sleep(decision.delayMs);
    if (decision.counted) attempt++;
  }
}

async function deadLetter(
  sub: Subscription,
  d: Delivery,
  deps: DeliverDeps,
  reason: string,
  attempts: number,
): Promise<void> {
  deps.logger.warn('dead-lettering message', { fn: sub.fn, messageId: d.messageId, reason });
  // RabbitMQ's count of this queue's deliveries means nothing in the next queue (or a replay).
  const { 'x-delivery-count': _count, ...kept } = d.headers;
  await deps.broker.sendToQueue(DEAD_LETTER_QUEUE, d.body, {
    messageId: d.messageId,
    contentType: d.contentType,
    headers: {
      ...kept,
      [H.deadLetterReason]: reason,
      'x-function': sub.fn,
      'x-original-topic': d.topic,
      [H.attempts]: String(attempts),
      'x-dead-lettered-at': new Date().toISOString(),
    },
  });
  return d.ack();
}

/** One message for an output topic: the function's response body, or its side output. */
interface Output {
  topic: string;
  body: Uint8Array;
  batchId: string;
  contentType?: string;
}

async function publishOutput(
  o: Output,
  d: Delivery,
  deps: DeliverDeps,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const { topic, batchId } = o;
  const out: Record<string, string> = { [H.batchId]: batchId };
  if (d.headers[H.source]) out[H.source] = d.headers[H.source];
  // Until the output is confirmed the input stays unacked; a crash here means redelivery, and the
  // derived batch id makes the downstream effects idempotent.
  for (let i = 1; ; i++) {
    try {
      await deps.broker.publish(topic, o.body, {
        messageId: batchId,
        headers: out,
        contentType: o.contentType,
        allowUnrouted: !deps.subscribed().has(topic),
      });
      return;
    } catch (e) {
      if (deps.stopping()) throw e;
      deps.logger.warn('publishing output failed, retrying', { topic, batchId, err: String(e) });
      await sleep(backoff(i, deps.retry));
    }
  }
}

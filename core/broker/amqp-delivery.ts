// An amqplib message as a Delivery: ack/nack go to the channel it arrived on, at most once.
import type { Channel, Message } from 'amqplib';
import { BrokerUnavailableError, type Delivery } from './types.js';

/** `after` runs once the delivery is settled (get() closes its channel there). */
export function toDelivery(msg: Message, ch: Channel, after: () => unknown = () => {}): Delivery {
  let settled = false;
  const settle = async (fn: () => void) => {
    if (settled) return;
    settled = true;
    try {
      fn();
    } catch {
      // The channel is gone, so RabbitMQ has requeued the message and will deliver it again.
      throw new BrokerUnavailableError('channel closed before ack/nack; the message will be redelivered');
    } finally {
      await after();
    }
  };
  const p = msg.properties;
  return {
    body: msg.content,
    messageId: p.messageId === undefined || p.messageId === null ? '' : String(p.messageId),
    headers: stringHeaders(p.headers),
    ...(p.contentType ? { contentType: String(p.contentType) } : {}),
    topic: msg.fields.routingKey,
    redelivered: msg.fields.redelivered,
    ack: () => settle(() => ch.ack(msg)),
    nack: (requeue) => settle(() => ch.nack(msg, false, requeue)),
  };
}

/** AMQP header values can be numbers, tables or bytes (x-death); the interface has strings only. */
function stringHeaders(h: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    if (v === undefined || v === null) continue;
    out[k] = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : JSON.stringify(v);
  }
  return out;
}

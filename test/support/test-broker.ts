// Test support: the embedded broker with a queue bound to logs.raw, plus fault injection (lose the
// connection after N confirmed publishes). Tests assert what reached the queue, not call sequences.
import { createMemoryBroker } from '../../core/broker/memory.js';
import { type Broker, BrokerUnavailableError, type Delivery } from '../../core/broker/types.js';

export const RAW_QUEUE = 'logfaas.parse-log';

export async function brokerWithRawQueue(): Promise<Broker> {
  const b = createMemoryBroker();
  await b.declareQueue({ name: RAW_QUEUE, topics: ['logs.raw'] });
  return b;
}

/** After `okPublishes` publishes succeed, every further publish fails as if the connection dropped. */
export function failingAfter(inner: Broker, okPublishes: number): Broker {
  let n = 0;
  return {
    ...inner,
    publish(topic, body, opts) {
      if (n++ >= okPublishes) return Promise.reject(new BrokerUnavailableError('connection to broker lost'));
      return inner.publish(topic, body, opts);
    },
  };
}

/** Drains a queue: every message published to it so far. */
export async function drain(b: Broker, queue = RAW_QUEUE): Promise<Delivery[]> {
  const out: Delivery[] = [];
  for (let d = await b.get(queue); d; d = await b.get(queue)) {
    out.push(d);
    await d.ack();
  }
  return out;
}

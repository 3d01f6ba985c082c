// Test support: removes the queues a test declared on the real RabbitMQ (AMQP_URL), whatever broker
// client declared them.
import { connect } from 'amqplib';
import { amqpUrl } from '../services.js';

export async function deleteQueues(names: readonly string[]): Promise<void> {
  const conn = await connect(amqpUrl());
  const ch = await conn.createChannel();
  for (const q of names) await ch.deleteQueue(q);
  await conn.close();
}

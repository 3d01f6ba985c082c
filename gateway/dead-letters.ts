// Inspect and replay the dead-letter queue through the gateway (/system/dead-letters), so
// `logfaas dlq list|replay` works the same against the embedded broker and RabbitMQ.
import { type Broker, DEAD_LETTER_QUEUE, type Delivery } from '../core/broker/types.js';
import { binBatchText } from '../core/event-batch-bin-read.js';
import { H } from '../core/headers.js';

export interface DeadLetter {
  messageId: string;
  topic: string;
  function?: string;
  reason?: string;
  attempts?: number;
  deadLetteredAt?: string;
  bytes: number;
  /** The first 2 KB of the body as text (of a binary event batch, its log lines). */
  preview: string;
}

export interface DeadLetters {
  list(limit: number): Promise<{ total: number; messages: DeadLetter[] }>;
  /** Republishes up to `limit` messages to their original topic (same message id: idempotent downstream). */
  replay(limit: number): Promise<{ replayed: number; failed: number }>;
}

export function createDeadLetters(broker: Broker): DeadLetters {
  const describe = (d: Delivery): DeadLetter => ({
    messageId: d.messageId,
    topic: d.headers['x-original-topic'] ?? d.topic,
    function: d.headers['x-function'],
    reason: d.headers[H.deadLetterReason],
    attempts: d.headers[H.attempts] ? Number(d.headers[H.attempts]) : undefined,
    deadLetteredAt: d.headers['x-dead-lettered-at'],
    bytes: d.body.length,
    // A binary event batch shows its log lines, not its bytes.
    preview: binBatchText(d.body)?.slice(0, 2048) ?? new TextDecoder().decode(d.body.subarray(0, 2048)),
  });

  return {
    async list(limit) {
      await broker.declareQueue({ name: DEAD_LETTER_QUEUE, topics: [] });
      const total = (await broker.queueStats(DEAD_LETTER_QUEUE))?.messages ?? 0;
      const held: Delivery[] = [];
      try {
        // Holding each message unacked while reading the next walks the queue without reordering it.
        for (let i = 0; i < limit; i++) {
          const d = await broker.get(DEAD_LETTER_QUEUE);
          if (!d) break;
          held.push(d);
        }
        return { total, messages: held.map(describe) };
      } finally {
        for (const d of held) await d.nack(true);
      }
    },
    async replay(limit) {
      await broker.declareQueue({ name: DEAD_LETTER_QUEUE, topics: [] });
      let replayed = 0;
      let failed = 0;
      // Only what is there now: a replayed message that fails again is dead-lettered again, and must
      // not be picked up by this same replay (a poison message would loop until the limit).
      const present = (await broker.queueStats(DEAD_LETTER_QUEUE))?.messages ?? 0;
      for (let i = 0; i < Math.min(limit, present); i++) {
        const d = await broker.get(DEAD_LETTER_QUEUE);
        if (!d) break;
        const topic = d.headers['x-original-topic'];
        const headers = { ...d.headers };
        for (const k of [
          H.deadLetterReason,
          'x-function',
          'x-original-topic',
          H.attempts,
          'x-dead-lettered-at',
        ]) {
          delete headers[k];
        }
        try {
          if (!topic) throw new Error('no original topic');
          await broker.publish(topic, d.body, {
            messageId: d.messageId,
            headers,
            contentType: d.contentType,
          });
          await d.ack();
          replayed++;
        } catch {
          await d.nack(true);
          failed++;
          break;
        }
      }
      return { replayed, failed };
    },
  };
}

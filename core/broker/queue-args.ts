// Queue declaration arguments per AMQP_QUEUE_TYPE, and the error for a queue that already exists with
// other arguments (RabbitMQ cannot turn a classic queue into a quorum queue in place).
import type { QueueSpec } from './types.js';

export type QueueType = 'classic' | 'quorum';
export const QUEUE_TYPES: readonly QueueType[] = ['classic', 'quorum'];

export interface QueueTypeOptions {
  type: QueueType;
  /**
   * Quorum only: deliveries after the first a message may have before RabbitMQ dead-letters it to the
   * spec's deadLetterQueue (x-delivery-limit). Counts redeliveries after a crash, a lost channel or a
   * requeue, not the connector's own retries within one delivery.
   */
  deliveryLimit: number;
}

/** The delivery limit a consumer can see in x-delivery-count: quorum queues only (classic count none). */
export const deliveryLimitOf = (o: QueueTypeOptions | undefined): number | undefined =>
  o?.type === 'quorum' ? o.deliveryLimit : undefined;

/**
 * The `arguments` of queue.declare. Classic queues get none, exactly as before the option existed, so
 * queues of existing deployments stay equivalent. Quorum queues are durable, non-exclusive and never
 * auto-deleted (what assertQueue's durable: true gives) and take no priorities or per-queue TTLs here.
 */
export function queueArguments(spec: Pick<QueueSpec, 'deadLetterQueue'>, o: QueueTypeOptions) {
  if (o.type === 'classic') return undefined;
  const args: Record<string, string | number> = { 'x-queue-type': 'quorum' };
  if (spec.deadLetterQueue) {
    args['x-delivery-limit'] = o.deliveryLimit;
    args['x-dead-letter-exchange'] = '';
    args['x-dead-letter-routing-key'] = spec.deadLetterQueue;
    // At-least-once dead-lettering (RabbitMQ >= 3.10) keeps the message until the dead-letter queue
    // confirmed it; it requires the reject-publish overflow (no length limit is set, so nothing is).
    args['x-dead-letter-strategy'] = 'at-least-once';
    args['x-overflow'] = 'reject-publish';
  }
  return args;
}

/** A declare RabbitMQ refused because the queue exists with other arguments (type, limit, DLX). */
export class QueueMismatchError extends Error {
  constructor(queue: string, type: QueueType, detail: string) {
    super(
      `queue ${queue} already exists with other arguments than AMQP_QUEUE_TYPE=${type} declares ` +
        `(${detail}). RabbitMQ cannot change a queue's type or arguments in place: either keep the ` +
        `type it was created with (AMQP_QUEUE_TYPE), or drain it (stop the producers, let the ` +
        `connector empty it), delete it (rabbitmqctl delete_queue ${queue}) and restart, or run the ` +
        `new type under a new BROKER_NAMESPACE. See docs/reliability.md, "Quorum queues".`,
    );
    this.name = 'QueueMismatchError';
  }
}

/** amqplib's 406 on queue.declare as a QueueMismatchError; any other error unchanged. */
export function explainDeclareError(err: unknown, queue: string, type: QueueType): unknown {
  const e = err as { code?: number; message?: string };
  if (e?.code !== 406 || !/inequivalent arg/.test(e.message ?? '')) return err;
  const detail = /PRECONDITION_FAILED - ([^"]*)/.exec(e.message ?? '')?.[1] ?? String(e.message);
  return new QueueMismatchError(queue, type, detail);
}

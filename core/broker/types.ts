// The broker interface: topic publish with confirms, durable queues bound to topics, manual ack.
// Two implementations: RabbitMQ via amqplib (amqp.ts) and embedded (memory.ts); one contract suite.

export interface PublishOptions {
  /** Stable id of the batch this message carries (AMQP message-id). */
  messageId: string;
  headers?: Record<string, string>;
  contentType?: string;
}

/** A message's content and metadata, without the ack/nack of a live delivery. */
export type StoredMessage = Omit<Delivery, 'ack' | 'nack'>;

export interface Delivery {
  body: Uint8Array;
  messageId: string;
  headers: Record<string, string>;
  contentType?: string;
  /** The topic (routing key) it was published with. */
  topic: string;
  redelivered: boolean;
  ack(): Promise<void>;
  /** Return the message to its queue (requeue) or drop it. */
  nack(requeue: boolean): Promise<void>;
}

export interface QueueSpec {
  /** Durable queue name, e.g. `logfaas.parse-log`. */
  name: string;
  /** Topics (routing keys) bound to it. */
  topics: string[];
  /**
   * Where the broker itself dead-letters a message redelivered too often (RabbitMQ quorum queues:
   * x-delivery-limit). Ignored by classic queues and the embedded broker.
   */
  deadLetterQueue?: string;
}

export interface QueueStats {
  name: string;
  messages: number;
  consumers: number;
}

export interface Consumer {
  cancel(): Promise<void>;
}

export interface Broker {
  /**
   * Publishes persistently to the topic exchange and resolves once the broker confirmed it.
   * Rejects with UnroutableError when no queue is bound to the topic (so nothing is silently dropped)
   * unless `allowUnrouted` is set (output topics nobody subscribes to).
   */
  publish(topic: string, body: Uint8Array, opts: PublishOptions & { allowUnrouted?: boolean }): Promise<void>;
  /** Publishes straight to a named durable queue (dead letters, replays), with confirm. */
  sendToQueue(queue: string, body: Uint8Array, opts: PublishOptions): Promise<void>;
  /** Declares the durable queue and its bindings (idempotent). */
  declareQueue(spec: QueueSpec): Promise<void>;
  consume(
    queue: string,
    onMessage: (d: Delivery) => Promise<void>,
    opts: { prefetch: number },
  ): Promise<Consumer>;
  /** Takes one message off a queue (basic.get), for inspection and replay tools. */
  get(queue: string): Promise<Delivery | null>;
  queueStats(queue: string): Promise<QueueStats | null>;
  /** Called when the connection is lost; implementations reconnect by themselves. */
  onError?(listener: (err: Error) => void): void;
  close(): Promise<void>;
}

export class UnroutableError extends Error {
  constructor(topic: string) {
    super(`no queue is bound to topic ${topic}: is the connector running?`);
    this.name = 'UnroutableError';
  }
}

/**
 * The broker cannot take the request now (connection down and reconnecting, resource alarm, confirm
 * timeout, closed). Nothing was confirmed: the caller retries or reports the message as not accepted.
 */
export class BrokerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

/** The topic exchange every logfaas message goes through. */
export const EXCHANGE = 'logfaas';
/** Queue a function consumes from: one per function, bound to each of its topics. */
export const queueFor = (fn: string): string => `logfaas.${fn}`;
export const DEAD_LETTER_QUEUE = 'logfaas.dead-letter';

// Publishing with confirms on one ConfirmChannel: resolves on basic.ack, rejects on nack, on a lost
// channel, on timeout, and with UnroutableError when RabbitMQ returns a mandatory message.
import type { ChannelModel, ConfirmChannel, Message } from 'amqplib';
import type { Logger } from '../log.js';
import { BrokerUnavailableError, type PublishOptions, UnroutableError } from './types.js';

export interface Publisher {
  /** Publishes to `exchange` ('' = straight to the queue named `key`) and waits for the confirm. */
  publish(
    exchange: string,
    key: string,
    body: Uint8Array,
    o: PublishOptions,
    mandatory: boolean,
  ): Promise<void>;
  /** Opens the channel on a (new) connection. */
  open(m: ChannelModel): Promise<void>;
  /** Forgets the channel of a lost connection. */
  reset(): void;
  /** Waits until every publish in flight is confirmed or rejected, at most `timeoutMs`. */
  settle(timeoutMs: number): Promise<void>;
}

interface Pending {
  topic: string;
  returned: boolean;
}

export function createPublisher(opts: {
  /** The live connection; throws BrokerUnavailableError while down. */
  model: () => ChannelModel;
  blocked: () => boolean;
  logger: Logger;
  confirmTimeoutMs: number;
}): Publisher {
  const { logger, confirmTimeoutMs } = opts;
  const pending = new Map<string, Pending[]>(); // by messageId, to match a basic.return to its publish
  const inflight = new Set<Promise<void>>();
  let chan: Promise<ConfirmChannel> | undefined;
  let drained: Promise<void> | undefined;

  const channel = (m: ChannelModel): Promise<ConfirmChannel> => {
    if (chan) return chan;
    const p = m.createConfirmChannel().then((ch) => {
      ch.on('error', (err: Error) => logger.warn('broker: publish channel error', { err: err.message }));
      ch.on('close', () => {
        if (chan === p) chan = undefined;
      });
      // RabbitMQ sends basic.return before the basic.ack of the same message, so the confirm callback
      // below already knows the message came back.
      ch.on('return', (msg: Message) => {
        const list = pending.get(String(msg.properties.messageId));
        const entry = list?.find((x) => !x.returned && x.topic === msg.fields.routingKey);
        if (entry) entry.returned = true;
      });
      return ch;
    });
    p.catch(() => {
      if (chan === p) chan = undefined;
    });
    chan = p;
    return p;
  };

  const send = async (
    exchange: string,
    key: string,
    body: Uint8Array,
    o: PublishOptions,
    mandatory: boolean,
  ) => {
    if (opts.blocked()) throw new BrokerUnavailableError('RabbitMQ has blocked publishers (resource alarm)');
    if (drained) await drained;
    let ch: ConfirmChannel;
    try {
      ch = await channel(opts.model());
    } catch (err) {
      throw err instanceof BrokerUnavailableError
        ? err
        : new BrokerUnavailableError(`no publish channel: ${msgOf(err)}`);
    }
    const entry: Pending = { topic: key, returned: false };
    const list = pending.get(o.messageId) ?? [];
    list.push(entry);
    pending.set(o.messageId, list);
    let open = true;
    const untrack = () => {
      open = false;
      list.splice(list.indexOf(entry), 1);
      if (list.length === 0 && pending.get(o.messageId) === list) pending.delete(o.messageId);
    };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        untrack();
        reject(new BrokerUnavailableError(`publish not confirmed within ${confirmTimeoutMs} ms`));
      }, confirmTimeoutMs);
      const done = (err: unknown) => {
        if (!open) return; // timed out already; a late confirm changes nothing
        clearTimeout(timer);
        untrack();
        if (err) reject(new BrokerUnavailableError(`publish not confirmed: ${msgOf(err)}`));
        else if (entry.returned) reject(new UnroutableError(key));
        else resolve();
      };
      try {
        const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
        const props = {
          persistent: true,
          mandatory,
          messageId: o.messageId,
          headers: o.headers ?? {},
          contentType: o.contentType,
          timestamp: Math.floor(Date.now() / 1000),
        };
        const ok =
          exchange === ''
            ? ch.sendToQueue(key, buf, props, done)
            : ch.publish(exchange, key, buf, props, done);
        if (!ok && !drained) {
          // Socket buffer full: later publishes wait for it to drain (or for the channel to go away).
          drained = new Promise<void>((r) => {
            ch.once('drain', r);
            ch.once('close', r);
          }).finally(() => (drained = undefined));
        }
      } catch (err) {
        done(err); // channel already closed: amqplib throws synchronously
      }
    });
  };

  return {
    publish(exchange, key, body, o, mandatory) {
      const p = send(exchange, key, body, o, mandatory);
      const tracked = p.then(
        () => {},
        () => {},
      );
      inflight.add(tracked);
      void tracked.finally(() => inflight.delete(tracked));
      return p;
    },
    async open(m) {
      chan = undefined;
      await channel(m);
    },
    reset() {
      chan = undefined;
    },
    async settle(timeoutMs) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([...inflight]), new Promise((r) => (t = setTimeout(r, timeoutMs)))]);
      clearTimeout(t);
    },
  };
}

const msgOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

// One supervised AMQP connection: connects, runs the setup hooks (topology, channels, consumers) on every
// (re)connect, and after a loss reconnects forever with capped backoff. Knows nothing of the Broker API.
import { type ChannelModel, connect, credentials, type SocketOptions } from 'amqplib';
import type { Logger } from '../log.js';
import type { Secret } from '../secrets.js';
import { redactUrl } from '../secrets.js';

export interface LinkOptions {
  url: string;
  /** Overrides the URL's password. */
  password?: Secret;
  logger: Logger;
  /** Shown as the connection name in the RabbitMQ management UI and `rabbitmqctl list_connections`. */
  connectionName: string;
}

/** Reconnect delay: 100 ms doubling to a 5 s cap, plus up to 20% jitter against reconnect stampedes. */
export const amqpRetryDelay = (attempt: number): number => {
  const base = Math.min(100 * 2 ** Math.min(attempt - 1, 10), 5_000);
  return Math.round(base * (1 + Math.random() * 0.2));
};

export interface AmqpLink {
  /** The open connection, or undefined while down (callers fail fast on undefined). */
  readonly model: ChannelModel | undefined;
  /** True while RabbitMQ has blocked publishers (memory or disk alarm). */
  readonly blocked: boolean;
  /** Runs on every connect, in registration order, before the link counts as up. */
  onSetup(fn: (model: ChannelModel) => Promise<void>): void;
  onDown(fn: (err: Error) => void): void;
  /** Resolves on the first successful connect; rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export function openLink(opts: LinkOptions): AmqpLink {
  const { logger } = opts;
  const safeUrl = redactUrl(opts.url);
  const setups: ((m: ChannelModel) => Promise<void>)[] = [];
  const downs: ((err: Error) => void)[] = [];
  let model: ChannelModel | undefined;
  let blocked = false;
  let closing = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let firstUp: (() => void) | undefined;
  const upOnce = new Promise<void>((r) => (firstUp = r));
  const { url, socketOptions } = connectArgs(opts);

  const schedule = () => {
    if (closing) return;
    const delay = amqpRetryDelay(++attempt);
    timer = setTimeout(() => void connectOnce(), delay);
  };

  const connectOnce = async () => {
    let m: ChannelModel | undefined;
    try {
      m = await connect(url, socketOptions);
      const conn = m;
      conn.on('error', (err: Error) =>
        logger.warn('broker: connection error', { url: safeUrl, err: err.message }),
      );
      conn.on('blocked', (reason: string) => {
        blocked = true;
        logger.warn('broker: publishing blocked by RabbitMQ', { reason });
      });
      conn.on('unblocked', () => {
        blocked = false;
        logger.info('broker: publishing unblocked');
      });
      conn.on('close', (err?: Error) => {
        if (model !== conn) return; // closed during setup: the catch below reschedules
        model = undefined;
        blocked = false;
        if (closing) return;
        const e = err ?? new Error('connection closed');
        logger.warn('broker: connection lost, reconnecting', { url: safeUrl, err: e.message });
        for (const fn of downs) fn(e);
        schedule();
      });
      if (closing) throw new Error('closing');
      for (const fn of setups) await fn(conn);
      if (closing) throw new Error('closing');
      model = conn;
      if (attempt > 0) logger.info('broker: connected', { url: safeUrl, attempts: attempt });
      attempt = 0;
      firstUp?.();
    } catch (err) {
      if (m) await m.close().catch(() => {});
      if (closing) return;
      if (attempt === 0 || attempt % 10 === 0) {
        logger.warn('broker: connect failed, retrying', { url: safeUrl, err: (err as Error).message });
      }
      schedule();
    }
  };
  void connectOnce();

  return {
    get model() {
      return model;
    },
    get blocked() {
      return blocked;
    },
    onSetup: (fn) => void setups.push(fn),
    onDown: (fn) => void downs.push(fn),
    async ready(timeoutMs) {
      let t: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        t = setTimeout(
          () => reject(new Error(`broker: ${safeUrl} not reachable within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([upOnce, timeout]);
      } finally {
        clearTimeout(t);
      }
    },
    async close() {
      closing = true;
      clearTimeout(timer);
      const m = model;
      model = undefined;
      await m?.close().catch(() => {});
    },
  };
}

/** amqplib arguments: Nagle off, the connection name, and the password from the secret when given. */
function connectArgs(opts: LinkOptions) {
  const u = new URL(opts.url);
  // Heartbeats find a silently dead peer (no FIN, no RST) in about two intervals; RabbitMQ suggests 60 s.
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', '15');
  const socketOptions: SocketOptions = {
    // Nagle's algorithm held 2 KB+ publishes ~40 ms waiting for the delayed ACK (measured here).
    noDelay: true,
    timeout: 10_000,
    clientProperties: { connection_name: opts.connectionName },
  };
  if (opts.password) {
    socketOptions.credentials = credentials.plain(
      decodeURIComponent(u.username || 'guest'),
      opts.password.reveal(),
    );
    u.password = '';
  }
  return { url: u.toString(), socketOptions };
}

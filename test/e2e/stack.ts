// Shared setup of the suites that run every component as a process: whether Redis and RabbitMQ are
// there, the stack in a namespace of its own on them, a broker client in that namespace, and polling.
import { createAmqpBroker } from '../../core/broker/create.js';
import type { QueueTypeOptions } from '../../core/broker/queue-args.js';
import { type Broker, queueFor } from '../../core/broker/types.js';
import { silentLogger } from '../../core/log.js';
import { Secret } from '../../core/secrets.js';
import { dropNamespace } from '../../runner/drop-namespace.js';
import { type ProcessStack, type ProcessStackOptions, startProcessStack } from '../../runner/processes.js';
import { amqpUrl, redisUrl, requireService, tcpReachable } from '../services.js';

/** requireService for Redis and RabbitMQ both: whether to run (under CI=true a missing one throws). */
export const servicesUp = async (): Promise<boolean> =>
  (await requireService('redis', () => tcpReachable(redisUrl(), 6379))) &&
  (await requireService('rabbitmq', () => tcpReachable(amqpUrl(), 5672)));

/** Calls `fn` every `everyMs` until `ok` holds or `timeoutMs` has passed; returns the last value. */
export async function poll<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let v = await fn();
  while (!ok(v) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, everyMs));
    v = await fn();
  }
  return v;
}

export type TestStackOptions = Partial<Omit<ProcessStackOptions, 'adminPassword'>> & {
  /** REDIS_PREFIX and BROKER_NAMESPACE: what dropNamespace removes afterwards. */
  ns: string;
  dataDir: string;
  password: string;
};

/** The process stack on the real services, gateway and dashboard on free ports, its keys and queues under `ns`. */
export function startTestStack({ ns, password, env, ...o }: TestStackOptions): Promise<ProcessStack> {
  return startProcessStack({
    root: process.cwd(),
    redisUrl: redisUrl(),
    amqpUrl: amqpUrl(),
    adminPassword: new Secret(password),
    gatewayPort: 0,
    dashboardPort: 0,
    logger: silentLogger,
    ...o,
    env: { REDIS_PREFIX: `${ns}:`, BROKER_NAMESPACE: ns, ...env },
  });
}

/** A broker client in the stack's namespace, to look at its queues or tap a topic. */
export function testBroker(ns: string, dataDir: string, amqpQueues?: QueueTypeOptions): Promise<Broker> {
  return createAmqpBroker(
    {
      redisPrefix: '',
      amqpUrl: amqpUrl(),
      brokerNamespace: ns,
      amqpQueues,
      dataDir,
      secretsDir: '/nonexistent',
    },
    silentLogger,
  );
}

/** Waits until the connector consumes parse-log's queue (it binds the queues after its first topic map). */
export const parseLogConsumed = (broker: Broker) =>
  poll(
    () => broker.queueStats(queueFor('parse-log')),
    (s) => (s?.consumers ?? 0) > 0,
    20_000,
  );

/** Closes the test's broker client, stops the stack and drops its namespace (and `queues` of the test's own). */
export async function stopTestStack(o: {
  ns: string;
  stack?: ProcessStack;
  broker?: Broker;
  queues?: string[];
}): Promise<void> {
  await o.broker?.close();
  await o.stack?.stop();
  await dropNamespace({ redisUrl: redisUrl(), amqpUrl: amqpUrl(), ns: o.ns, queues: o.queues });
}

// Real-service helpers for integration suites: where Redis and RabbitMQ are, and whether to run at all.
// Unreachable service: the suite is skipped locally (with a message saying why) but FAILS under CI=true,
// so a CI job without its services can never pass by skipping everything.
import { connect } from 'node:net';
import { clearKv } from '../core/kv/clear.js';
import { parseClusterNodes } from '../core/kv/cluster-nodes.js';
import type { KV } from '../core/kv/types.js';

export const redisUrl = (): string => process.env.REDIS_URL || 'redis://127.0.0.1:6379';
/**
 * Seed nodes of a throwaway Redis Cluster (`host:port,...`, from test/support/redis-cluster.sh, which
 * .ci/run starts). Its own variable, not REDIS_CLUSTER_NODES, so a stack a test starts is on a cluster
 * only when the test asks for it.
 */
export const redisClusterNodes = (): string => process.env.TEST_REDIS_CLUSTER_NODES ?? '';

/** requireService for that cluster: its first node reachable. */
export const requireRedisCluster = (): Promise<boolean> =>
  requireService('redis cluster (TEST_REDIS_CLUSTER_NODES)', async () => {
    const [first] = parseClusterNodes(redisClusterNodes());
    if (!first) throw new Error('TEST_REDIS_CLUSTER_NODES is not set');
    await tcpReachable(`redis://${first.host}:${first.port}`, first.port);
  });
export const amqpUrl = (): string => process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';

/**
 * Runs `check` (resolving = reachable; throwing or resolving `false` = not). Returns whether to run the
 * suite; throws when the service is missing under CI. Use with `describe.skipIf(!(await requireService(...)))`.
 */
export async function requireService(name: string, check: () => Promise<unknown>): Promise<boolean> {
  let reason: string | undefined;
  try {
    if ((await check()) === false) reason = 'check returned false';
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
  }
  if (reason === undefined) return true;
  const msg = `${name} is not reachable (${reason})`;
  if (process.env.CI === 'true') throw new Error(`${msg}: CI=true requires it`);
  console.warn(`SKIPPING ${name} integration tests: ${msg}. Start it or set its URL to run them.`);
  return false;
}

/** A TCP connect to the URL's host and port within `timeoutMs`: cheap enough to run per suite. */
export function tcpReachable(url: string, defaultPort: number, timeoutMs = 1_000): Promise<void> {
  const u = new URL(url);
  const port = Number(u.port) || defaultPort;
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    const fail = (err: Error) => {
      sock.destroy();
      reject(err);
    };
    sock.setTimeout(timeoutMs, () => fail(new Error(`timeout connecting to ${host}:${port}`)));
    sock.once('error', fail);
    sock.once('connect', () => {
      sock.end();
      resolve();
    });
  });
}

/** Unique per test: a random suffix so parallel runs and other engineers' suites never collide. */
export const uniqueName = (base: string): string =>
  `${base}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** `kv` whose hgetallMany counts the keys it reads into `fetched` (what a read cache should save). */
export function countHashReads(kv: KV): { kv: KV; fetched: number } {
  const counter = {
    fetched: 0,
    kv: {
      ...kv,
      hgetallMany: (keys: string[]) => {
        counter.fetched += keys.length;
        return kv.hgetallMany(keys);
      },
    } as KV,
  };
  return counter;
}

/** Empties and closes the KV stores a test opened (each in its own namespace), for afterEach. */
export async function clearAndClose(kvs: KV[]): Promise<void> {
  for (const kv of kvs.splice(0)) {
    await clearKv(kv);
    await kv.close();
  }
}

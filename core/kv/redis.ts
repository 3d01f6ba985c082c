// The Redis KV on one Redis server (ioredis). Outage policy: fail fast. Commands issued while disconnected
// reject at once (no offline queue) and commands in flight when the connection drops reject (never silently
// resent: a resent hincrby without onceKey would count twice). The client itself reconnects forever with
// capped backoff. The KV itself (namespacing, scripts, reads) is redis-kv.ts, shared with the cluster KV.
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { redactUrl, type Secret } from '../secrets.js';
import { defineScripts, redisKv, type WaitReplicas, waitReady, watchConnection } from './redis-kv.js';
import type { KV } from './types.js';
import { onceKeyName } from './write-ops.js';

export interface RedisKvOptions {
  url: string;
  /** Overrides a password in the URL. */
  password?: Secret;
  /** Namespace of every key, e.g. `logfaas:`; stacks and test runs sharing one Redis use different ones. */
  prefix: string;
  logger: Logger;
  /** How long createRedisKv waits for the first connection before failing (default 30 s). */
  startupTimeoutMs?: number;
  /** A reply slower than this rejects the command (default 10 s): a hung server must not hang callers. */
  commandTimeoutMs?: number;
  /** CLIENT SETNAME, so an operator (or a test) can find this connection. */
  connectionName?: string;
  /** Replicas each batch write must reach before apply resolves (WAIT); default off. See redis-kv.ts. */
  wait?: WaitReplicas;
}

/** Reconnect delay: 100 ms doubling to a 5 s cap, plus jitter so restarted fleets do not stampede. */
export const redisRetryDelay = (attempt: number): number =>
  Math.min(100 * 2 ** Math.min(attempt - 1, 10), 5_000) + Math.floor(Math.random() * 100);

/** The fail-fast settings of every connection, single node or a cluster's (see the header). */
export const FAIL_FAST = {
  retryStrategy: redisRetryDelay,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
} as const;

/** Options of every connection, single node or a cluster's: password, name, fail fast, command timeout. */
export function connectionOptions(
  opts: Pick<RedisKvOptions, 'password' | 'connectionName' | 'commandTimeoutMs'>,
) {
  return {
    ...(opts.password ? { password: opts.password.reveal() } : {}),
    connectionName: opts.connectionName ?? 'logfaas',
    ...FAIL_FAST,
    commandTimeout: opts.commandTimeoutMs ?? 10_000,
  };
}

/** Connects (waiting up to startupTimeoutMs for Redis to come up) and returns the namespaced KV. */
export async function createRedisKv(opts: RedisKvOptions): Promise<KV> {
  const safeUrl = redactUrl(opts.url);
  const url = new URL(opts.url);
  if (opts.password) url.password = '';
  const redis = new Redis(url.toString(), connectionOptions(opts));
  const scripted = defineScripts(redis);
  watchConnection(redis, opts.logger, safeUrl);
  await waitReady(redis, opts.startupTimeoutMs ?? 30_000, safeUrl);
  const all = (keys: readonly string[]) => [keys.map((_, i) => i)];
  return redisKv(
    scripted,
    opts.prefix,
    {
      split: all,
      onceName: (onceKey) => opts.prefix + onceKeyName(onceKey),
      nodes: () => [redis],
    },
    opts.wait,
  );
}

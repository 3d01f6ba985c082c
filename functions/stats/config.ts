// stats settings: one pure function of the environment, validated once (table in docs/stats.md).

import { DEAD_LETTER_QUEUE, queueFor } from '../../core/broker/types.js';
import { type Env, EnvReader, parseDuration } from '../../core/env.js';
import type { Credentials } from '../../core/http/basic-auth.js';
import { type HttpConfig, readHttpConfig } from '../../core/http/config.js';
import { readAdminPassword } from '../../core/secrets.js';
import { MAX_WINDOW_MS } from '../../core/stats/keys.js';
import { readStoreConfig, type StoreConfig } from '../../core/stores-config.js';

export interface StatsConfig {
  /** Window used when the request has no ?window= (15 min: recent enough to show a live incident). */
  defaultWindowMs: number;
  /** Largest ?window= accepted; the stored buckets cover 24 h, so more would silently undercount. */
  maxWindowMs: number;
  /** Queues whose depth and consumers the pipeline-health panel shows. */
  queues: string[];
  /** How long a queue-stats call may take before the broker is reported unreachable. */
  brokerTimeoutMs: number;
  /** Server adapter settings (PORT, MAX_INFLIGHT, EXEC_TIMEOUT, ...). */
  http: HttpConfig;
  /** Where the KV and broker live (REDIS_URL, AMQP_URL, DATA_DIR, ...). */
  store: StoreConfig;
  /**
   * Who may change the mutes: the gateway's admin (BASIC_AUTH_USER, secret `basic-auth-password` or
   * LOGFAAS_ADMIN_PASSWORD). Absent = the mute writes answer 503; reading stats never needs it.
   */
  admin?: Credentials;
}

export const DEFAULT_QUEUES = [
  queueFor('parse-log'),
  queueFor('detect-anomaly'),
  // Alerts waiting for a receiver show here, not as a slower pipeline.
  queueFor('notify'),
  DEAD_LETTER_QUEUE,
];

export function loadStatsConfig(env: Env): StatsConfig {
  const r = new EnvReader(env);
  const maxWindowMs = r.duration('STATS_MAX_WINDOW', MAX_WINDOW_MS);
  if (maxWindowMs > MAX_WINDOW_MS) r.problem(`STATS_MAX_WINDOW must be at most 24h (the buckets' retention)`);
  const defaultWindowMs = r.duration('STATS_DEFAULT_WINDOW', 15 * 60_000);
  if (defaultWindowMs < 60_000 || defaultWindowMs > maxWindowMs) {
    r.problem('STATS_DEFAULT_WINDOW must be between 1m and STATS_MAX_WINDOW');
  }
  const queuesRaw = r.optStr('STATS_QUEUES');
  // Stats answers in tens of ms; 10 s is far beyond any healthy read.
  const http = readHttpConfig(r, { timeoutMs: 10_000, maxBodyBytes: 64 * 1024 });
  const store = readStoreConfig(r, env);
  const adminUser = r.str('BASIC_AUTH_USER', 'admin');
  const adminPassword = readAdminPassword(store.secretsDir, env)?.password;
  // 1 s: the dashboard polls every 5 s; a slow broker must not make stats slow.
  const brokerTimeoutMs = r.duration('STATS_BROKER_TIMEOUT', 1000);
  r.done();
  return Object.freeze({
    defaultWindowMs,
    maxWindowMs: Math.min(maxWindowMs, MAX_WINDOW_MS),
    queues: Object.freeze(
      queuesRaw
        ? queuesRaw
            .split(',')
            .map((q) => q.trim())
            .filter(Boolean)
        : DEFAULT_QUEUES,
    ) as string[],
    brokerTimeoutMs,
    http,
    store,
    admin: adminPassword ? { user: adminUser, password: adminPassword } : undefined,
  });
}

/** `?window=` values: 1m, 15m, 1h, 24h, 90s... Returns ms, or undefined when unparseable. */
export function parseWindow(v: string): number | undefined {
  // A bare number would be read as ms by parseDuration; require a unit so `window=15` is not 15 ms.
  if (!/^\s*\d+(\.\d+)?\s*(s|m|h|d)\s*$/.test(v)) return undefined;
  return parseDuration(v);
}

// Syslog connector configuration: one pure function of the environment. Every name starts with SYSLOG_
// because `logfaas up` runs the connector in the same environment as the producer (BATCH_LINES is its).
import { ConfigError, type Env, EnvReader } from '../../core/env.js';
import type { RetryPolicy } from '../../core/retry-decision.js';
import { DEFAULT_SECRETS_DIR, readSecretFile, type Secret } from '../../core/secrets.js';
import type { BatchLimits } from './batch.js';

export interface SyslogConfig {
  /** UDP and TCP port; undefined = the connector is off. */
  port?: number;
  host: string;
  udp: boolean;
  tcp: boolean;
  /** RFC 5425 syslog over TLS on its own port, certificate and key from secret files. */
  tls?: { port: number; cert: Secret; key: Secret };
  gatewayUrl: string;
  /** HTTP port of /metrics and the health endpoints. */
  metricsPort: number;
  maxMessageBytes: number;
  maxConnections: number;
  batch: BatchLimits;
  /** Bytes received and not yet accepted by the producer before TCP readers pause and UDP drops. */
  maxPendingBytes: number;
  /** Producer calls in flight at once. */
  sendConcurrency: number;
  sendTimeoutMs: number;
  retry: RetryPolicy;
  /** Source of messages without an APP-NAME/TAG. */
  defaultSource: string;
}

export const TLS_CERT_SECRET = 'syslog-tls-cert';
export const TLS_KEY_SECRET = 'syslog-tls-key';

export function loadSyslogConfig(env: Env): SyslogConfig {
  const r = new EnvReader(env);
  const port = env.SYSLOG_PORT ? r.int('SYSLOG_PORT', 0, 0, 65535) : undefined;
  const protocols = r
    .str('SYSLOG_PROTOCOLS', 'udp,tcp')
    .split(',')
    .map((s) => s.trim().toLowerCase());
  for (const p of protocols)
    if (p !== 'udp' && p !== 'tcp')
      r.problem(`SYSLOG_PROTOCOLS: unknown protocol ${JSON.stringify(p)} (udp, tcp)`);
  const secretsDir = r.str('SECRETS_DIR', DEFAULT_SECRETS_DIR);
  const tlsPort = env.SYSLOG_TLS_PORT ? r.int('SYSLOG_TLS_PORT', 0, 0, 65535) : undefined;
  let tls: SyslogConfig['tls'];
  if (tlsPort !== undefined) {
    const cert = readSecretFile(secretsDir, TLS_CERT_SECRET);
    const key = readSecretFile(secretsDir, TLS_KEY_SECRET);
    if (!cert || !key)
      r.problem(
        `SYSLOG_TLS_PORT needs the secret files ${TLS_CERT_SECRET} and ${TLS_KEY_SECRET} in ${secretsDir}`,
      );
    else tls = { port: tlsPort, cert, key };
  }
  const cfg: SyslogConfig = {
    port,
    host: r.str('SYSLOG_HOST', '0.0.0.0'),
    udp: protocols.includes('udp'),
    tcp: protocols.includes('tcp'),
    tls,
    gatewayUrl: r.str('GATEWAY_URL', 'http://127.0.0.1:8080').replace(/\/+$/, ''),
    metricsPort: r.int('PORT', 8080, 0, 65535),
    // rsyslog's default maxMessageSize is 8 KiB and RFC 5425 asks receivers for at least 8 KiB; 64 KiB
    // leaves room for stack traces sent as one message while bounding a connection's buffer.
    maxMessageBytes: r.int('SYSLOG_MAX_MESSAGE_BYTES', 64 * 1024, 480),
    // Each connection holds at most one unfinished message; 512 bounds that memory to 32 MiB.
    maxConnections: r.int('SYSLOG_MAX_CONNECTIONS', 512, 1),
    batch: {
      // Five of the producer's 2,000-line batches per call: it publishes them concurrently, so a call
      // costs about what one batch does and the HTTP hops per line drop fivefold.
      maxLines: r.int('SYSLOG_BATCH_LINES', 10_000, 1, 100_000),
      // Under the producer's 16 MiB body limit with room to spare.
      maxBytes: r.int('SYSLOG_BATCH_BYTES', 4 * 1024 * 1024, 1024, 15 * 1024 * 1024),
      // A quiet sender's line reaches the pipeline within this, a busy one fills batches long before.
      maxWaitMs: r.duration('SYSLOG_BATCH_WAIT', 200),
      // Distinct APP-NAMEs with an open batch; more close the oldest early (bounds memory).
      maxSources: r.int('SYSLOG_MAX_SOURCES', 256, 1),
    },
    // 32 MiB: the calls in flight and about as many waiting; past it TCP senders are paused (their own
    // queues hold) and UDP datagrams are dropped and counted.
    maxPendingBytes: r.int('SYSLOG_MAX_PENDING_BYTES', 32 * 1024 * 1024, 64 * 1024),
    // Enough to keep the producer's publishing busy while one call waits for its confirms.
    sendConcurrency: r.int('SYSLOG_SEND_CONCURRENCY', 4, 1, 256),
    sendTimeoutMs: r.duration('SYSLOG_SEND_TIMEOUT', 30_000),
    retry: {
      // As the RabbitMQ connector: ~25 s of backoff for a failing producer; 429 and 503 (busy, broker
      // down) wait without limit instead, pausing TCP readers, since syslog has no dead-letter queue.
      maxAttempts: r.int('SYSLOG_MAX_ATTEMPTS', 8, 1, 100),
      baseDelayMs: r.duration('SYSLOG_RETRY_BASE_DELAY', 200),
      maxDelayMs: r.duration('SYSLOG_RETRY_MAX_DELAY', 10_000),
    },
    defaultSource: r.str('SYSLOG_DEFAULT_SOURCE', 'syslog'),
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(cfg.defaultSource))
    r.problem(`SYSLOG_DEFAULT_SOURCE=${JSON.stringify(cfg.defaultSource)} is not a valid source name`);
  if (!cfg.udp && !cfg.tcp && !tls) r.problem('SYSLOG_PROTOCOLS: nothing to listen on');
  r.done();
  return Object.freeze(cfg);
}

export function requirePort(cfg: SyslogConfig): number {
  if (cfg.port === undefined)
    throw new ConfigError(['SYSLOG_PORT is required: the port to receive syslog on']);
  return cfg.port;
}

// Connector configuration: one pure function of the environment (names follow the OpenFaaS connectors).
import { ConfigError, type Env, EnvReader } from '../../core/env.js';
import { EVENT_BATCH_TYPE } from '../../core/event-batch.js';
import { EVENT_BATCH_BIN_TYPE } from '../../core/event-batch-bin.js';
import { type FunctionAddresses, readFunctionAddresses } from '../../core/function-urls.js';
import type { RetryPolicy } from '../../core/retry-decision.js';
import { readAdminPassword, type Secret } from '../../core/secrets.js';
import { readStoreConfig, type StoreConfig } from '../../core/stores-config.js';

export interface ConnectorConfig {
  gatewayUrl: string;
  gatewayUser: string;
  gatewayPassword?: Secret;
  /** How often the topic map is rebuilt from /system/functions. */
  rebuildIntervalMs: number;
  /** Unacked messages per function queue per connector: bounds memory and in-flight work. */
  prefetch: number;
  retry: RetryPolicy;
  invokeTimeoutMs: number;
  /** Name sent as X-Connector. */
  name: string;
  /** Accept header sent with every invocation. */
  accept: string;
  stores: StoreConfig;
  /** Where to call functions when not through the gateway (GATEWAY_INVOKE=false); absent = the gateway. */
  direct?: FunctionAddresses;
}

/**
 * What the connector asks functions for. parse-log answers it with its compact event batch
 * (core/event-batch.ts): 41% fewer bytes through gateway, broker and connector, and cheaper to write and
 * read than NDJSON. Functions that do not know the type ignore it and answer as usual; the message's
 * content-type always says which form it carries. `ACCEPT=*\/*` turns it off.
 */
/** The binary batch first; its JSON form for a parse-log older than it (a rolling upgrade). */
export const DEFAULT_ACCEPT = `${EVENT_BATCH_BIN_TYPE}, ${EVENT_BATCH_TYPE};q=0.9, */*;q=0.5`;

export function loadConnectorConfig(env: Env): ConnectorConfig {
  const r = new EnvReader(env);
  const stores = readStoreConfig(r, env);
  const password = readAdminPassword(stores.secretsDir, env)?.password;
  const cfg: ConnectorConfig = {
    gatewayUrl: r.str('GATEWAY_URL', 'http://127.0.0.1:8080').replace(/\/+$/, ''),
    gatewayUser: r.str('BASIC_AUTH_USER', 'admin'),
    gatewayPassword: password,
    rebuildIntervalMs: r.duration('REBUILD_INTERVAL', 5_000),
    // 2 batches of up to 6,000 lines (~1.6 MB once parsed) in flight per function keep two cores as
    // busy as 4 of 3,000 did, with the same lines held at once: fewer, larger messages cost less per line
    // in every hop (docs/capacity.md). Raise it with the replicas of a function: each needs one to work on.
    prefetch: r.int('PREFETCH', 2, 1, 1000),
    retry: {
      // ~25 s of backoff in total: rides out a function restart without dead-lettering its messages.
      maxAttempts: r.int('MAX_ATTEMPTS', 8, 1, 100),
      baseDelayMs: r.duration('RETRY_BASE_DELAY', 200),
      maxDelayMs: r.duration('RETRY_MAX_DELAY', 10_000),
    },
    invokeTimeoutMs: r.duration('INVOKE_TIMEOUT', 30_000),
    name: r.str('CONNECTOR_NAME', 'logfaas-rabbitmq-connector'),
    accept: r.str('ACCEPT', DEFAULT_ACCEPT),
    stores,
    // The OpenFaaS queue-worker's switch: through the gateway (default), or straight to the replicas at
    // FUNCTION_URLS / FUNCTION_URL_TEMPLATE. Functions are still found through the gateway either way.
    direct: r.bool('GATEWAY_INVOKE', true) ? undefined : readFunctionAddresses(r),
  };
  r.done();
  if (!cfg.stores.amqpUrl)
    throw new ConfigError(['AMQP_URL is required: the connector consumes from RabbitMQ']);
  return Object.freeze(cfg);
}

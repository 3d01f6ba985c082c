// `logfaas up` (npm start): the whole stack in one process. Functions run in-process behind the same
// gateway; the connector still reaches them over HTTP through it. Embedded broker and KV unless
// AMQP_URL / REDIS_URL point at real servers.

import { DEFAULT_ACCEPT } from '../connectors/rabbitmq/config.js';
import { type RunningConnector, startConnector } from '../connectors/rabbitmq/connector.js';
import { createGatewayClient } from '../connectors/rabbitmq/gateway-client.js';
import { loadSyslogConfig } from '../connectors/syslog/config.js';
import { type RunningSyslog, startSyslog } from '../connectors/syslog/connector.js';
import { createMetricsHandler, SyslogMetrics } from '../connectors/syslog/metrics.js';
import { createAmqpBroker } from '../core/broker/create.js';
import { createMemoryBroker } from '../core/broker/memory.js';
import { deliveryLimitOf } from '../core/broker/queue-args.js';
import type { Broker } from '../core/broker/types.js';
import { type RunningServer, serve } from '../core/http/serve.js';
import { createKv } from '../core/kv/create.js';
import type { KV } from '../core/kv/types.js';
import type { Logger } from '../core/log.js';
import type { Secret } from '../core/secrets.js';
import type { StoreConfig } from '../core/stores-config.js';
import { createDashboardHandler } from '../dashboard/server.js';
import { loadDetectConfig } from '../functions/detect-anomaly/config.js';
import { createDetectAnomalyHandler } from '../functions/detect-anomaly/handler.js';
import { loadNotifyConfig } from '../functions/notify/config.js';
import { createNotifyHandler } from '../functions/notify/handler.js';
import { startResendLoop } from '../functions/notify/resend-loop.js';
import { loadParseLogConfig } from '../functions/parse-log/config.js';
import { createParseLogHandler } from '../functions/parse-log/handler.js';
import { loadProducerConfig, tailSweepMs } from '../functions/producer/config.js';
import { createTailSweeper } from '../functions/producer/flush-tails.js';
import { createProducerHandler } from '../functions/producer/handler.js';
import { loadSearchConfig } from '../functions/search/config.js';
import { createSearchHandler } from '../functions/search/handler.js';
import { loadStatsConfig } from '../functions/stats/config.js';
import { createStatsHandler } from '../functions/stats/handler.js';
import { parseStack } from '../gateway/stack.js';
import { type RunningGateway, startGateway } from '../gateway/start.js';
import type { Upstream } from '../gateway/upstream.js';

export interface EmbeddedOptions {
  env: Readonly<Record<string, string | undefined>>;
  stackYaml: string;
  stores: StoreConfig;
  adminPassword: Secret;
  gatewayPort: number;
  dashboardPort: number;
  dashboardDir: string;
  host?: string;
  logger: Logger;
}

export interface EmbeddedStack {
  gatewayUrl: string;
  dashboardUrl: string;
  kv: KV;
  broker: Broker;
  brokerKind: 'embedded' | 'rabbitmq';
  connector: RunningConnector;
  /** The syslog connector, when SYSLOG_PORT is set. */
  syslog?: { udpPort?: number; tcpPort?: number; tlsPort?: number; metricsUrl: string };
  stop(): Promise<void>;
}

export async function startEmbeddedStack(o: EmbeddedOptions): Promise<EmbeddedStack> {
  const log = o.logger;
  const kv = await createKv(o.stores, log.child({ component: 'kv' }));
  const broker: Broker = o.stores.amqpUrl
    ? await createAmqpBroker(o.stores, log)
    : createMemoryBroker({
        logger: log,
        dataDir: o.stores.dataDir,
        maxQueueBytes: o.stores.embeddedQueueBytes,
      });
  const fnLog = (name: string) => log.child({ component: name });
  const producerConfig = loadProducerConfig(o.env);
  const stopSweep = createTailSweeper({
    kv,
    broker,
    config: producerConfig,
    logger: fnLog('producer'),
  }).start(tailSweepMs(producerConfig));
  const notifyConfig = loadNotifyConfig(o.env);
  // Sends only when ALERTMANAGER_URL or ALERT_WEBHOOK_URLS is set; otherwise it acks and reads nothing.
  const notify = createNotifyHandler({ kv, config: notifyConfig, logger: fnLog('notify') });
  const handlers = {
    producer: createProducerHandler({ broker, kv, config: producerConfig, logger: fnLog('producer') }),
    'parse-log': createParseLogHandler({ kv, config: loadParseLogConfig(o.env), logger: fnLog('parse-log') }),
    'detect-anomaly': createDetectAnomalyHandler({
      kv,
      config: loadDetectConfig(o.env).detect,
      search: loadDetectConfig(o.env).search,
      logger: fnLog('detect-anomaly'),
    }),
    // Search returns log content: the gateway's admin only (the password may be the generated one).
    search: createSearchHandler({
      kv,
      config: { ...loadSearchConfig(o.env), admin: { user: 'admin', password: o.adminPassword } },
    }),
    stats: createStatsHandler({
      kv,
      broker,
      // The gateway's admin may change the mutes (the password may be the generated one, not in env).
      config: { ...loadStatsConfig(o.env), admin: { user: 'admin', password: o.adminPassword } },
    }),
    notify,
  } as const;
  const functions = parseStack(o.stackYaml, o.env);
  const upstreams = new Map<string, Upstream>();
  for (const f of functions) {
    const h = handlers[f.name as keyof typeof handlers];
    if (h) upstreams.set(f.name, { kind: 'handler', handler: h });
  }
  const gatewayUrlFor = (port: number) => `http://127.0.0.1:${port}`;
  const gateway: RunningGateway = await startGateway({
    functions,
    upstreams,
    credentials: { user: 'admin', password: o.adminPassword },
    port: o.gatewayPort,
    host: o.host,
    timeoutMs: 60_000,
    maxBodyBytes: 64 * 1024 * 1024,
    maxInflight: 1024,
    logger: log.child({ component: 'gateway' }),
    broker,
    dashboard: createDashboardHandler({
      assetsDir: o.dashboardDir,
      gatewayUrl: gatewayUrlFor(o.gatewayPort || 8080),
    }),
  });
  const gatewayUrl = gatewayUrlFor(gateway.server.port);
  const dashboard: RunningServer = await serve(
    createDashboardHandler({ assetsDir: o.dashboardDir, gatewayUrl }),
    {
      port: o.dashboardPort,
      host: o.host,
      maxBodyBytes: 64 * 1024,
      maxInflight: 256,
      timeoutMs: 30_000,
    },
  );
  const connector = startConnector({
    broker,
    gateway: createGatewayClient({
      gatewayUrl,
      user: 'admin',
      password: o.adminPassword,
      timeoutMs: 60_000,
      connectorName: 'logfaas-embedded-connector',
      accept: DEFAULT_ACCEPT,
    }),
    logger: log.child({ component: 'connector' }),
    prefetch: 4, // the connector's default (connectors/rabbitmq/config.ts says why)
    retry: { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 10_000 },
    rebuildIntervalMs: 5_000,
    deliveryLimit: deliveryLimitOf(o.stores.amqpQueues),
  });
  await connector.ready;
  const syslog = await startEmbeddedSyslog(o, gatewayUrl);
  const resend = startResendLoop(notify, {
    intervalMs: notifyConfig.resendIntervalMs,
    logger: fnLog('notify'),
  });
  return {
    gatewayUrl,
    dashboardUrl: `http://127.0.0.1:${dashboard.port}`,
    kv,
    broker,
    brokerKind: o.stores.amqpUrl ? 'rabbitmq' : 'embedded',
    connector,
    syslog: syslog?.info,
    async stop() {
      await syslog?.stop();
      stopSweep();
      await resend.stop();
      await connector.stop();
      notify.close();
      await dashboard.close();
      await gateway.close();
      await broker.close();
      await kv.close();
    },
  };
}

/** The syslog connector in-process, sending through the gateway like its container; /metrics on a free port. */
async function startEmbeddedSyslog(o: EmbeddedOptions, gatewayUrl: string) {
  const cfg = loadSyslogConfig(o.env);
  if (cfg.port === undefined) return undefined;
  const metrics = new SyslogMetrics();
  const running: RunningSyslog = await startSyslog({
    config: { ...cfg, port: cfg.port, gatewayUrl },
    metrics,
    logger: o.logger.child({ component: 'syslog-connector' }),
  });
  const http = await serve(createMetricsHandler(metrics), {
    port: 0,
    host: o.host,
    maxBodyBytes: 1024,
    maxInflight: 16,
    timeoutMs: 10_000,
  });
  return {
    info: {
      udpPort: running.udpPort,
      tcpPort: running.tcpPort,
      tlsPort: running.tlsPort,
      metricsUrl: `${http.url}/metrics`,
    },
    async stop() {
      await running.stop();
      await http.close();
    },
  };
}

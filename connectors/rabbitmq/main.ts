// Connector process entry (container command: node dist/connector.mjs).
import { createAmqpBroker } from '../../core/broker/create.js';
import { deliveryLimitOf } from '../../core/broker/queue-args.js';
import { onShutdown } from '../../core/http/shutdown.js';
import { createLogger } from '../../core/log.js';
import { redactUrl } from '../../core/secrets.js';
import { loadConnectorConfig } from './config.js';
import { startConnector } from './connector.js';
import { createGatewayClient } from './gateway-client.js';

const log = createLogger({ component: 'connector' });
const cfg = loadConnectorConfig(process.env);
const broker = await createAmqpBroker(cfg.stores, log);
const gateway = createGatewayClient({
  gatewayUrl: cfg.gatewayUrl,
  user: cfg.gatewayUser,
  password: cfg.gatewayPassword,
  timeoutMs: cfg.invokeTimeoutMs,
  connectorName: cfg.name,
  accept: cfg.accept,
  direct: cfg.direct,
  logger: log,
});
const connector = startConnector({
  broker,
  gateway,
  logger: log,
  prefetch: cfg.prefetch,
  retry: cfg.retry,
  rebuildIntervalMs: cfg.rebuildIntervalMs,
  deliveryLimit: deliveryLimitOf(cfg.stores.amqpQueues),
});
log.info('connector started', {
  gateway: cfg.gatewayUrl,
  invoke: cfg.direct ? 'direct' : 'through the gateway',
  amqp: redactUrl(cfg.stores.amqpUrl ?? ''),
});
connector.ready.then(() =>
  log.info('topic map built, consuming', { subscriptions: connector.subscriptions() }),
);
onShutdown([() => connector.stop(), () => broker.close(), async () => gateway.close()], log);

// Builds the broker a component uses: RabbitMQ when AMQP_URL is set. The embedded broker exists only
// inside one process (npm start), so separate processes require AMQP_URL.
// Signature is the contract for every main.ts.
import type { Logger } from '../log.js';
import { redactUrl } from '../secrets.js';
import type { StoreConfig } from '../stores-config.js';
import { connectAmqpBroker } from './amqp.js';
import { namespaced } from './namespace.js';
import type { Broker } from './types.js';

export async function createAmqpBroker(cfg: StoreConfig, logger: Logger): Promise<Broker> {
  if (!cfg.amqpUrl) throw new Error('createAmqpBroker: AMQP_URL is not set');
  const log = logger.child({ component: 'broker' });
  log.info('broker: using rabbitmq', {
    url: redactUrl(cfg.amqpUrl),
    namespace: cfg.brokerNamespace,
    queueType: cfg.amqpQueues?.type ?? 'classic',
  });
  const broker = await connectAmqpBroker({
    url: cfg.amqpUrl,
    password: cfg.amqpPassword,
    logger: log,
    queues: cfg.amqpQueues,
  });
  return namespaced(broker, cfg.brokerNamespace);
}

// Builds the broker a component uses: RabbitMQ when AMQP_URL is set. The embedded broker exists only
// inside one process (npm start), so separate processes require AMQP_URL.
// OWNER: adapters helper (fills in). Signature is the contract for every main.ts.
import type { Logger } from '../log.js';
import type { StoreConfig } from '../stores-config.js';
import type { Broker } from './types.js';

export async function createAmqpBroker(cfg: StoreConfig, logger: Logger): Promise<Broker> {
  void cfg;
  void logger;
  throw new Error('createAmqpBroker: not implemented yet');
}

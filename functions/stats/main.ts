// stats process entry (container command: node dist/functions/stats.mjs).
import { createAmqpBroker } from '../../core/broker/create.js';
import type { Broker } from '../../core/broker/types.js';
import { serve } from '../../core/http/serve.js';
import { onShutdown } from '../../core/http/shutdown.js';
import { createKv } from '../../core/kv/create.js';
import { createLogger } from '../../core/log.js';
import { loadStatsConfig } from './config.js';
import { createStatsHandler } from './handler.js';

const log = createLogger({ component: 'stats' });
const cfg = loadStatsConfig(process.env);
const kv = await createKv(cfg.store, log);
// Queue stats are optional: without a reachable broker the pipeline panel says so; stats still answers.
let broker: Broker | undefined;
if (cfg.store.amqpUrl) {
  try {
    broker = await createAmqpBroker(cfg.store, log);
  } catch (e) {
    log.warn('broker unreachable; pipeline health will say so', { err: String(e) });
  }
}
const server = await serve(createStatsHandler({ kv, broker, config: cfg }), {
  ...cfg.http,
  logger: log,
  name: 'stats',
});
log.info('stats listening', { port: server.port });
onShutdown([() => server.close(), async () => broker?.close(), () => kv.close()], log);

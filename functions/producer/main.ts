// producer process entry (container command: node dist/functions/producer.mjs).
import { createAmqpBroker } from '../../core/broker/create.js';
import { serve } from '../../core/http/serve.js';
import { onShutdown } from '../../core/http/shutdown.js';
import { createKv } from '../../core/kv/create.js';
import { createLogger } from '../../core/log.js';
import { loadProducerConfig, tailSweepMs } from './config.js';
import { createTailSweeper } from './flush-tails.js';
import { createProducerHandler } from './handler.js';

const log = createLogger({ component: 'producer' });
const cfg = loadProducerConfig(process.env);
// A separate process cannot share the embedded broker, so AMQP_URL is required here.
const broker = await createAmqpBroker(cfg.stores, log);
// Held-back multi-line tails live in the KV, so any replica can take or flush them.
const kv = await createKv(cfg.stores, log);
const stopSweep = createTailSweeper({ kv, broker, config: cfg, logger: log }).start(tailSweepMs(cfg));
const server = await serve(createProducerHandler({ broker, kv, config: cfg, logger: log }), {
  ...cfg.http,
  logger: log,
  name: 'producer',
});
log.info('producer listening', { port: server.port, batchLines: cfg.batchLines, topic: cfg.topic });
onShutdown([() => server.close(), async () => stopSweep(), () => broker.close(), () => kv.close()], log);

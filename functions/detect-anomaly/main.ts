// detect-anomaly process entry (container command: node dist/functions/detect-anomaly.mjs).
import { serve } from '../../core/http/serve.js';
import { onShutdown } from '../../core/http/shutdown.js';
import { createKv } from '../../core/kv/create.js';
import { createLogger } from '../../core/log.js';
import { loadDetectConfig } from './config.js';
import { createDetectAnomalyHandler } from './handler.js';

const log = createLogger({ component: 'detect-anomaly' });
const cfg = loadDetectConfig(process.env);
const kv = await createKv(cfg.store, log);
const server = await serve(
  createDetectAnomalyHandler({ kv, config: cfg.detect, search: cfg.search, logger: log }),
  {
    ...cfg.http,
    logger: log,
    name: 'detect-anomaly',
  },
);
log.info('detect-anomaly listening', { port: server.port });
onShutdown([() => server.close(), () => kv.close()], log);

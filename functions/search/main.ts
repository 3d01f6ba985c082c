// search process entry (container command: node dist/functions/search.mjs).
import { serve } from '../../core/http/serve.js';
import { onShutdown } from '../../core/http/shutdown.js';
import { createKv } from '../../core/kv/create.js';
import { createLogger } from '../../core/log.js';
import { loadSearchConfig } from './config.js';
import { createSearchHandler } from './handler.js';

const log = createLogger({ component: 'search' });
const cfg = loadSearchConfig(process.env);
if (!cfg.admin)
  log.warn('no admin password (basic-auth-password or LOGFAAS_ADMIN_PASSWORD): search answers 503');
const kv = await createKv(cfg.store, log);
const server = await serve(createSearchHandler({ kv, config: cfg }), {
  ...cfg.http,
  logger: log,
  name: 'search',
});
log.info('search listening', { port: server.port });
onShutdown([() => server.close(), () => kv.close()], log);

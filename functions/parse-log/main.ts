// parse-log container entry: config from the environment, KV client, then the shared server adapter.
import { serve } from '../../core/http/serve.js';
import { onShutdown } from '../../core/http/shutdown.js';
import { createKv } from '../../core/kv/create.js';
import { createLogger } from '../../core/log.js';
import { loadParseLogConfig } from './config.js';
import { createParseLogHandler } from './handler.js';

const logger = createLogger({ fn: 'parse-log' });
const config = loadParseLogConfig(process.env);
const kv = await createKv(config.store, logger);
const server = await serve(createParseLogHandler({ kv, config, logger }), {
  ...config.http,
  logger,
  name: 'parse-log',
});
logger.info('listening', { port: server.port });
onShutdown([() => server.close(), () => kv.close()], logger);

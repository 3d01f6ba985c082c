// notify process entry (container command: node dist/functions/notify.mjs).
import { serve } from '../../core/http/serve.js';
import { onShutdown } from '../../core/http/shutdown.js';
import { createKv } from '../../core/kv/create.js';
import { createLogger } from '../../core/log.js';
import { hasTargets, loadNotifyConfig } from './config.js';
import { createNotifyHandler } from './handler.js';
import { startResendLoop } from './resend-loop.js';

const logger = createLogger({ fn: 'notify' });
const config = loadNotifyConfig(process.env);
const kv = await createKv(config.store, logger);
const handler = createNotifyHandler({ kv, config, logger });
const loop = startResendLoop(handler, { intervalMs: config.resendIntervalMs, logger });
const server = await serve(handler, { ...config.http, logger, name: 'notify' });
logger.info('listening', {
  port: server.port,
  alertmanager: !!config.alertmanagerUrl,
  webhooks: config.webhookUrls.length,
  ...(hasTargets(config) ? {} : { note: 'no ALERTMANAGER_URL or ALERT_WEBHOOK_URLS: sending nothing' }),
});
onShutdown([() => server.close(), () => loop.stop(), async () => handler.close(), () => kv.close()], logger);

// Dashboard process entry (container command: node dist/dashboard-server.mjs): static assets on :5000
// and /function/stats proxied to the gateway, so the page talks to stats only through the gateway.
import { serve } from '../core/http/serve.js';
import { onShutdown } from '../core/http/shutdown.js';
import { createLogger } from '../core/log.js';
import { loadDashboardConfig } from './config.js';
import { createDashboardHandler } from './server.js';

const log = createLogger({ component: 'dashboard' });
const { port, gatewayUrl, assetsDir } = loadDashboardConfig(process.env);
const server = await serve(createDashboardHandler({ assetsDir, gatewayUrl }), {
  port,
  maxBodyBytes: 64 * 1024,
  maxInflight: 256,
  timeoutMs: 30_000,
  logger: log,
});
log.info('dashboard listening', { port: server.port, gateway: gatewayUrl });
onShutdown([() => server.close()], log);

// Dashboard process entry (container command: node dist/dashboard-server.mjs): static assets on :5000
// and /function/stats proxied to the gateway, so the page talks to stats only through the gateway.
import { EnvReader } from '../core/env.js';
import { serve } from '../core/http/serve.js';
import { onShutdown } from '../core/http/shutdown.js';
import { createLogger } from '../core/log.js';
import { createDashboardHandler } from './server.js';

const log = createLogger({ component: 'dashboard' });
const r = new EnvReader(process.env);
const port = r.int('PORT', r.int('DASHBOARD_PORT', 5000, 0, 65535), 0, 65535);
const gatewayUrl = r.str('GATEWAY_URL', 'http://127.0.0.1:8080').replace(/\/+$/, '');
const assetsDir = r.str('DASHBOARD_DIR', 'dist/dashboard');
r.done();
const server = await serve(createDashboardHandler({ assetsDir, gatewayUrl }), {
  port,
  maxBodyBytes: 64 * 1024,
  maxInflight: 256,
  timeoutMs: 30_000,
  logger: log,
});
log.info('dashboard listening', { port: server.port, gateway: gatewayUrl });
onShutdown([() => server.close()], log);

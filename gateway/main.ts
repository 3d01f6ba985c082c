// Gateway process entry (container command: node dist/gateway.mjs).
import { existsSync, readFileSync } from 'node:fs';
import { createAmqpBroker } from '../core/broker/create.js';
import { replicaUrls } from '../core/function-urls.js';
import { onShutdown } from '../core/http/shutdown.js';
import { createLogger } from '../core/log.js';
import { createDashboardHandler } from '../dashboard/server.js';
import { loadGatewayConfig } from './config.js';
import { parseStack } from './stack.js';
import { startGateway } from './start.js';
import type { Upstream } from './upstream.js';

const log = createLogger({ component: 'gateway' });
const cfg = loadGatewayConfig(process.env);
const functions = parseStack(readFileSync(cfg.stackFile, 'utf8'), process.env);
const upstreams = new Map<string, Upstream>(
  functions.map((f) => [f.name, { kind: 'url', urls: replicaUrls(cfg.functions, f.name) }]),
);
const broker = cfg.stores.amqpUrl ? await createAmqpBroker(cfg.stores, log) : undefined;
const dashboardDir = cfg.dashboardDir ?? 'dist/dashboard';
const gw = await startGateway({
  functions,
  upstreams,
  credentials: { user: cfg.adminUser, password: cfg.adminPassword },
  port: cfg.port,
  host: cfg.host,
  timeoutMs: cfg.upstreamTimeoutMs,
  maxBodyBytes: cfg.maxBodyBytes,
  maxInflight: cfg.maxInflight,
  logger: log,
  broker,
  dashboard: existsSync(dashboardDir)
    ? createDashboardHandler({ assetsDir: dashboardDir, gatewayUrl: `http://127.0.0.1:${cfg.port}` })
    : undefined,
});
log.info('gateway listening', {
  port: gw.server.port,
  functions: Object.fromEntries(
    [...upstreams].map(([n, u]) => [n, u.kind === 'url' ? u.urls : 'in-process']),
  ),
});
onShutdown([() => gw.close(), async () => broker?.close()], log);

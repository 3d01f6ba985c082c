// Syslog connector process entry (container command: node dist/syslog-connector.mjs).

import { serve } from '../../core/http/serve.js';
import { onShutdown } from '../../core/http/shutdown.js';
import { createLogger } from '../../core/log.js';
import { loadSyslogConfig, requirePort } from './config.js';
import { startSyslog } from './connector.js';
import { createMetricsHandler, SyslogMetrics } from './metrics.js';

const log = createLogger({ component: 'syslog-connector' });
const cfg = loadSyslogConfig(process.env);
const port = requirePort(cfg);
const metrics = new SyslogMetrics();
const syslog = await startSyslog({ config: { ...cfg, port }, metrics, logger: log });
const http = await serve(createMetricsHandler(metrics), {
  port: cfg.metricsPort,
  maxBodyBytes: 1024,
  maxInflight: 16,
  timeoutMs: 10_000,
  logger: log,
});
log.info('syslog connector listening', {
  udp: syslog.udpPort,
  tcp: syslog.tcpPort,
  tls: syslog.tlsPort,
  gateway: cfg.gatewayUrl,
  metrics: `${http.url}/metrics`,
});
onShutdown([() => syslog.stop(), () => http.close()], log);

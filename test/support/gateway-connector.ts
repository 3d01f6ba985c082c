// Test support: the real gateway in-process over the given functions (user admin, password `pw`) and the
// RabbitMQ connector on a broker calling it over HTTP, with the short retry delays the connector tests use.
import { type RunningConnector, startConnector } from '../../connectors/rabbitmq/connector.js';
import { createGatewayClient } from '../../connectors/rabbitmq/gateway-client.js';
import type { Broker } from '../../core/broker/types.js';
import type { FunctionAddresses } from '../../core/function-urls.js';
import { silentLogger } from '../../core/log.js';
import { Secret } from '../../core/secrets.js';
import type { FunctionSpec } from '../../gateway/stack.js';
import { type RunningGateway, startGateway } from '../../gateway/start.js';
import type { Upstream } from '../../gateway/upstream.js';

export const GATEWAY_PASSWORD = 'pw';

export interface GatewayAndConnector {
  gw: RunningGateway;
  connector: RunningConnector;
}

/** Starts both; the caller awaits `connector.ready` and stops the connector before closing the gateway. */
export async function startGatewayAndConnector(o: {
  broker: Broker;
  functions: FunctionSpec[];
  upstreams: Map<string, Upstream>;
  maxAttempts?: number;
  deliveryLimit?: number;
  /** The connector calls the functions here, not through the gateway (GATEWAY_INVOKE=false). */
  direct?: FunctionAddresses;
  reportIntervalMs?: number;
}): Promise<GatewayAndConnector> {
  const password = new Secret(GATEWAY_PASSWORD);
  const gw = await startGateway({
    functions: o.functions,
    upstreams: o.upstreams,
    credentials: { user: 'admin', password },
    port: 0,
    host: '127.0.0.1',
    timeoutMs: 5_000,
    maxBodyBytes: 1e6,
    maxInflight: 100,
    logger: silentLogger,
  });
  const connector = startConnector({
    broker: o.broker,
    gateway: createGatewayClient({
      gatewayUrl: gw.url,
      user: 'admin',
      password,
      timeoutMs: 5_000,
      connectorName: 'test-connector',
      direct: o.direct,
      reportIntervalMs: o.reportIntervalMs,
    }),
    logger: silentLogger,
    prefetch: 4,
    retry: { maxAttempts: o.maxAttempts ?? 5, baseDelayMs: 10, maxDelayMs: 50 },
    rebuildIntervalMs: 60_000,
    deliveryLimit: o.deliveryLimit,
  });
  return { gw, connector };
}

/** Calls `fn` every 20 ms until `ok` holds; throws (with the last value) after `ms`. */
export async function waitFor<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 8_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await fn();
  while (!ok(v)) {
    if (Date.now() > end) throw new Error(`waitFor timed out (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 20));
    v = await fn();
  }
  return v;
}

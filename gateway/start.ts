// Assembles and serves the gateway: used by the gateway process (main.ts) and by `logfaas up`.
import type { Broker, Consumer } from '../core/broker/types.js';
import type { Credentials } from '../core/http/basic-auth.js';
import type { Handler } from '../core/http/serve.js';
import { type RunningServer, serve } from '../core/http/serve.js';
import type { Logger } from '../core/log.js';
import { createAsyncQueue, startAsyncWorker } from './async-queue.js';
import { createDeadLetters } from './dead-letters.js';
import { createGatewayHandler } from './handler.js';
import { GatewayMetrics } from './metrics.js';
import { createStreamingProxy, routeThrough } from './proxy.js';
import { startReadinessPoller } from './readiness.js';
import type { FunctionSpec } from './stack.js';
import type { Upstream } from './upstream.js';

export interface GatewayOptions {
  functions: FunctionSpec[];
  upstreams: Map<string, Upstream>;
  credentials: Credentials;
  port: number;
  host?: string;
  timeoutMs: number;
  maxBodyBytes: number;
  maxInflight: number;
  logger: Logger;
  broker?: Broker;
  dashboard?: Handler;
  readyPollMs?: number;
}

export interface RunningGateway {
  url: string;
  server: RunningServer;
  close(): Promise<void>;
}

export async function startGateway(o: GatewayOptions): Promise<RunningGateway> {
  const metrics = new GatewayMetrics();
  const functions = new Set(o.functions.map((f) => f.name));
  const readiness = startReadinessPoller(o.upstreams, o.readyPollMs ?? 2000);
  let worker: Consumer | undefined;
  let enqueueAsync: ((c: import('./handler.js').AsyncCall) => Promise<void>) | undefined;
  if (o.broker) {
    enqueueAsync = await createAsyncQueue(o.broker);
    worker = await startAsyncWorker({
      broker: o.broker,
      upstream: (n) => o.upstreams.get(n),
      timeoutMs: o.timeoutMs,
      logger: o.logger,
      concurrency: 4,
    });
  }
  const handler = createGatewayHandler({
    functions: o.functions,
    upstream: (n) => o.upstreams.get(n),
    available: readiness.available,
    envProcess: (n) => `node dist/functions/${n}.mjs`,
    credentials: o.credentials,
    metrics,
    timeoutMs: o.timeoutMs,
    logger: o.logger,
    enqueueAsync,
    deadLetters: o.broker ? createDeadLetters(o.broker) : undefined,
    dashboard: o.dashboard,
  });
  const server = await serve(handler, {
    port: o.port,
    host: o.host,
    // The gateway adds its own deadline per upstream call; this one only guards the gateway itself.
    timeoutMs: o.timeoutMs + 5_000,
    maxBodyBytes: o.maxBodyBytes,
    maxInflight: o.maxInflight,
    logger: o.logger,
    name: 'gateway',
  });
  const proxy = createStreamingProxy({
    upstream: (n) => (functions.has(n) ? o.upstreams.get(n) : undefined),
    metrics,
    timeoutMs: o.timeoutMs,
    maxBodyBytes: o.maxBodyBytes,
    maxInflight: o.maxInflight,
    otherInflight: () => server.inflight(),
  });
  routeThrough(server.server, proxy);
  return {
    url: server.url,
    server,
    async close() {
      readiness.stop();
      await worker?.cancel().catch(() => {});
      await Promise.all([server.close(), proxy.close(10_000)]);
    },
  };
}

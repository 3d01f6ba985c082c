// stats process entry (container command: node dist/functions/stats.mjs).
import { createAmqpBroker } from '../../core/broker/create.js';
import type { Broker } from '../../core/broker/types.js';
import { serve } from '../../core/http/serve.js';
import { onShutdown } from '../../core/http/shutdown.js';
import { createKv } from '../../core/kv/create.js';
import { createLogger } from '../../core/log.js';
import { loadStatsConfig } from './config.js';
import { createStatsHandler } from './handler.js';

const log = createLogger({ component: 'stats' });
/** Longest the process waits for its cache warm-up before listening (24 h of busy data takes ~0.2 s). */
const WARM_TIMEOUT_MS = 5000;
const cfg = loadStatsConfig(process.env);
const kv = await createKv(cfg.store, log);

// Queue stats are optional: stats serves at once, and until the broker is connected (or while it is
// down) pipeline health says `unreachable` instead of stats failing or waiting.
let broker: Broker | undefined;
let stopped = false;
const queueSource: Pick<Broker, 'queueStats'> | undefined = cfg.store.amqpUrl
  ? { queueStats: (q) => (broker ? broker.queueStats(q) : Promise.reject(new Error('broker not connected'))) }
  : undefined;
async function connectBroker(): Promise<void> {
  while (!stopped && !broker) {
    try {
      broker = await createAmqpBroker(cfg.store, log);
    } catch (e) {
      log.warn('broker unreachable; pipeline health says so until it connects', { err: String(e) });
      await new Promise((r) => setTimeout(r, 5000).unref());
    }
  }
  if (stopped) await broker?.close();
}
if (cfg.store.amqpUrl) void connectBroker();

// Fill the closed-bucket cache before listening, so the first request (a dashboard opening on 24 h)
// is answered from memory plus the open buckets. Bounded: a slow or failing store only costs warmth.
const handler = createStatsHandler({ kv, broker: queueSource, config: cfg });
const warmStarted = performance.now();
await Promise.race([
  handler.warm().then(
    () => log.info('stats cache warm', { ms: Math.round(performance.now() - warmStarted) }),
    (e) => log.warn('stats warm-up failed; the first request reads everything', { err: String(e) }),
  ),
  new Promise((r) => setTimeout(r, WARM_TIMEOUT_MS).unref()),
]);

const server = await serve(handler, {
  ...cfg.http,
  logger: log,
  name: 'stats',
});
log.info('stats listening', { port: server.port });
onShutdown(
  [
    () => server.close(),
    async () => {
      stopped = true;
      await broker?.close();
    },
    () => kv.close(),
  ],
  log,
);

// The building blocks of the pipeline measured alone in the same run, so the pipeline reads as a
// fraction of them: RabbitMQ publish+consume, one atomic Redis apply per batch, one HTTP hop.
import { connectAmqpBroker } from '../core/broker/amqp.js';
import { namespaced } from '../core/broker/namespace.js';
import { serve } from '../core/http/serve.js';
import { clearKv } from '../core/kv/clear.js';
import { createRedisKv } from '../core/kv/redis.js';
import { silentLogger } from '../core/log.js';
import { dropNamespace } from '../runner/drop-namespace.js';
import { mixedLines } from '../test/e2e/lines.js';
import { amqpUrl, redisUrl } from '../test/services.js';
import { gatewayHop } from './gateway-hop.js';

const REDIS = redisUrl();
const AMQP = amqpUrl();
// `AMQP_QUEUE_TYPE=quorum npm run bench`: the broker figure on quorum queues too.
const QUORUM = process.env.AMQP_QUEUE_TYPE === 'quorum';

export async function buildingBlocks(log: (l: string) => void) {
  const { lines } = mixedLines(500, 5);
  const body = new TextEncoder().encode(lines.join('\n'));
  // RabbitMQ: publish with confirms and consume+ack, same message size as a producer batch.
  const ns = `bench-${process.pid}`;
  const queues = QUORUM ? ({ type: 'quorum', deliveryLimit: 10 } as const) : undefined;
  const broker = namespaced(await connectAmqpBroker({ url: AMQP, logger: silentLogger, queues }), ns);
  await broker.declareQueue({ name: 'bench.q', topics: ['bench.t'] });
  const n = 2_000;
  let got = 0;
  const done = new Promise<void>((resolve) => {
    void broker.consume(
      'bench.q',
      async (d) => {
        await d.ack();
        if (++got === n) resolve();
      },
      { prefetch: 64 },
    );
  });
  const t0 = performance.now();
  const pubs: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    pubs.push(broker.publish('bench.t', body, { messageId: `b${i}` }));
    if (pubs.length >= 64) await Promise.all(pubs.splice(0));
  }
  await Promise.all(pubs);
  await done;
  const amqpLines = (n * 500) / ((performance.now() - t0) / 1000);
  await broker.close();
  await dropNamespace({ amqpUrl: AMQP, ns, queues: ['bench.q'] });
  log(`  rabbitmq publish+consume, 500-line messages: ${Math.round(amqpLines).toLocaleString()} lines/s`);

  // Redis: one atomic apply per batch, as detect-anomaly does (idempotency key + ~30 writes).
  const kv = await createRedisKv({ url: REDIS, prefix: `bench-${process.pid}:`, logger: silentLogger });
  const ops = Array.from({ length: 30 }, (_, i) => ({
    op: 'hincrby' as const,
    key: `h${i % 5}`,
    field: `f${i}`,
    by: 1,
  }));
  const m = 3_000;
  const t1 = performance.now();
  const applies: Promise<boolean>[] = [];
  for (let i = 0; i < m; i++) {
    applies.push(kv.apply(ops, { onceKey: `once-${i}`, onceTtlMs: 60_000 }));
    if (applies.length >= 16) await Promise.all(applies.splice(0));
  }
  await Promise.all(applies);
  const redisApplies = m / ((performance.now() - t1) / 1000);
  await clearKv(kv);
  await kv.close();
  log(
    `  redis atomic batch apply (30 writes + idempotency key): ${Math.round(redisApplies).toLocaleString()} batches/s`,
  );

  // One HTTP hop with a 500-line body.
  const s = await serve(async (r) => new Response(String((await r.arrayBuffer()).byteLength)), {
    port: 0,
    host: '127.0.0.1',
    maxBodyBytes: 1e7,
    maxInflight: 1000,
    timeoutMs: 10_000,
  });
  const k = 3_000;
  const t2 = performance.now();
  let i = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (i++ < k) await (await fetch(s.url, { method: 'POST', body })).arrayBuffer();
    }),
  );
  const httpLines = (k * 500) / ((performance.now() - t2) / 1000);
  await s.close();
  log(`  one HTTP hop, 500-line body: ${Math.round(httpLines).toLocaleString()} lines/s`);
  const hop = await gatewayHop();
  log(
    `  the gateway in a function call (200 KiB in, 1 MiB out): ${hop.gateway_cpu_us_per_mb} µs CPU per MiB`,
  );
  return {
    ...hop,
    amqp_lines_per_sec: Math.round(amqpLines),
    redis_batches_per_sec: Math.round(redisApplies),
    http_hop_lines_per_sec: Math.round(httpLines),
  };
}

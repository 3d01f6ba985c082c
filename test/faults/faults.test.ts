// Fault tests (issue: reliability): a steady stream of known lines through the full process stack on
// real RabbitMQ and Redis, a fault in the middle, and at the end every line counted exactly once and
// the same anomalies as without faults. Run on their own (vitest.faults.config.ts, one file at a
// time) because restarting RabbitMQ would disturb other suites.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisKv } from '../../core/kv/redis.js';
import { silentLogger } from '../../core/log.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import { seededRandom } from '../../core/random.js';
import { createLineParser } from '../../functions/parse-log/pipeline.js';
import { templateKey } from '../../functions/parse-log/template-store.js';
import { dropNamespace } from '../../runner/drop-namespace.js';
import { freePort } from '../../runner/free-port.js';
import type { ProcessStack } from '../../runner/processes.js';
import { mixedLines } from '../e2e/lines.js';
import { servicesUp, startTestStack } from '../e2e/stack.js';
import { amqpUrl, redisUrl, tcpReachable, uniqueName } from '../services.js';
import { startSlowProxy } from './slow-proxy.js';
import { faultStream, settle, stream } from './stream.js';

const up = await servicesUp();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let stack: ProcessStack | undefined;
/** Namespace and data dir of the last stack started (KV prefix, process logs). */
let last = { ns: '', dataDir: '' };
const extra: ChildProcess[] = [];
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  if (last.ns) await dropNamespace({ redisUrl: redisUrl(), amqpUrl: amqpUrl(), ns: last.ns });
  for (const p of extra.splice(0)) p.kill('SIGKILL');
});

async function start(
  opts: {
    redis?: string;
    replicas?: number;
    connectors?: number;
    detectEnv?: Record<string, string>;
    connectorEnv?: Record<string, string>;
    gatewayPort?: number;
    /** Extra env for every process (AMQP_QUEUE_TYPE). */
    env?: Record<string, string>;
  } = {},
) {
  const ns = uniqueName('faults');
  const dataDir = mkdtempSync(join(tmpdir(), 'logfaas-faults-'));
  last = { ns, dataDir };
  stack = await startTestStack({
    ns,
    dataDir,
    password: 'faults-password',
    redisUrl: opts.redis ?? redisUrl(),
    gatewayPort: opts.gatewayPort ?? 0,
    replicas: opts.replicas,
    connectors: opts.connectors,
    env: opts.env,
    envFor: {
      // Rules only, and every error line news on its own (LEVEL_RATE=1): anomalies are then exactly the
      // error lines, with or without faults, whatever order the batches are scored in.
      'detect-anomaly': { MIN_TRAINING: '100000000', ...EVERY_ERROR, ...opts.detectEnv },
      connector: { REBUILD_INTERVAL: '1s', RETRY_MAX_DELAY: '2s', MAX_ATTEMPTS: '40', ...opts.connectorEnv },
    },
  });
  await sleep(1500);
  return stack;
}

const N = 20_000;
const { lines, errors } = mixedLines(N, 11);
const BATCH = 500;
const run = (s: ProcessStack, fault?: () => Promise<void>, from = 0) =>
  faultStream(s, lines.slice(from), fault);
/**
 * The stream's opening batches one at a time, each parsed before the next is sent; returns where the
 * rest starts. Online template mining names a template after the line that founds it, so which of two
 * batches parsed at once by two replicas goes first decides some ids (every template of this stream
 * first appears in its first two batches). Replicas always agree on one id per template (the creation
 * lock); comparing with one sequential parser needs that first-come order fixed, so it is fixed here.
 */
async function openInOrder(s: ProcessStack): Promise<number> {
  const opening = 2;
  for (let k = 0; k < opening; k++) {
    await stream({
      gatewayUrl: s.gatewayUrl,
      lines: lines.slice(k * BATCH, (k + 1) * BATCH),
      batchLines: BATCH,
      linesPerSec: 5_000,
      source: 'faults',
      runId: uniqueName('open'),
    });
    expect((await settle(s, (k + 1) * BATCH, 30_000, 0)).total).toBe((k + 1) * BATCH);
  }
  return opening * BATCH;
}

const EVERY_ERROR = { LEVEL_RATE: '1', LEVEL_ROUTINE: '1000000000' };

describe.skipIf(!up)('faults: every line exactly once', () => {
  it('baseline without faults', async () => {
    const s = await start();
    await run(s);
    expect(await settle(s, N)).toEqual(expect.objectContaining({ total: N, anomalies: errors }));
  });

  it('kill -9 of the connector mid-stream (restarted by the supervisor)', async () => {
    const s = await start();
    const r = await run(s, async () => {
      s.supervisor.children.get('connector')?.kill('SIGKILL');
    });
    expect(s.supervisor.children.get('connector')?.restarts()).toBe(1);
    const v = await settle(s, N);
    expect(v).toEqual(expect.objectContaining({ total: N, anomalies: errors }));
    console.log(`connector kill: ${r.resends} resends`);
  });

  it('kill -9 of parse-log and of detect-anomaly mid-stream', async () => {
    const s = await start();
    await run(s, async () => {
      s.supervisor.children.get('parse-log')?.kill('SIGKILL');
      await sleep(1_000);
      s.supervisor.children.get('detect-anomaly')?.kill('SIGKILL');
    });
    expect(await settle(s, N)).toEqual(expect.objectContaining({ total: N, anomalies: errors }));
  });

  // Quorum queues too (docker-compose's type): their Raft log is what comes back after the restart.
  it.each(['classic', 'quorum'])(
    'RabbitMQ restart mid-stream, %s queues: producer and connector reconnect, nothing confirmed is lost',
    async (type) => {
      const s = await start({ env: { AMQP_QUEUE_TYPE: type } });
      const r = await run(s, async () => {
        execFileSync('rabbitmqctl', ['stop_app'], { stdio: 'ignore' });
        await sleep(1_000);
        execFileSync('rabbitmqctl', ['start_app'], { stdio: 'ignore' });
        execFileSync('rabbitmqctl', ['await_startup', '--timeout', '60'], { stdio: 'ignore' });
      });
      console.log(`rabbitmq restart (${type}): ${r.resends} resends`);
      expect(await settle(s, N, 120_000)).toEqual(expect.objectContaining({ total: N, anomalies: errors }));
    },
    240_000,
  );

  it('Redis (AOF, fsync always) stopped and started mid-stream', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'logfaas-redis-'));
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      dir,
      '--save',
      '',
    ];
    const startRedis = async () => {
      const p = spawn('redis-server', args, { stdio: 'ignore' });
      extra.push(p);
      await tcpUp(port);
      return p;
    };
    let redis = await startRedis();
    const s = await start({ redis: `redis://127.0.0.1:${port}` });
    await run(s, async () => {
      const stopped = new Promise((r) => redis.once('exit', r));
      redis.kill('SIGTERM'); // SHUTDOWN: flushes the AOF
      await stopped;
      await sleep(1_000);
      redis = await startRedis();
    });
    expect(await settle(s, N, 120_000)).toEqual(expect.objectContaining({ total: N, anomalies: errors }));
  }, 240_000);

  it('functions answering 429 (MAX_INFLIGHT=1 against 8 messages in flight): the connector backs off, nothing is lost', async () => {
    const s = await start({ detectEnv: { MAX_INFLIGHT: '1' }, connectorEnv: { PREFETCH: '8' } });
    await run(s);
    expect(await settle(s, N)).toEqual(expect.objectContaining({ total: N, anomalies: errors }));
    // The connector calls the replicas directly and reports its calls to the gateway every 2 s.
    const throttled = async () => {
      const metrics = await (await fetch(`${s.gatewayUrl}/metrics`)).text();
      const m = /gateway_function_invocation_total\{code="429",function_name="detect-anomaly"\} (\d+)/.exec(
        metrics,
      );
      return Number(m?.[1] ?? 0);
    };
    const until = Date.now() + 10_000;
    while ((await throttled()) === 0 && Date.now() < until) await sleep(200);
    expect(await throttled()).toBeGreaterThan(0);
  });

  it('a slow gateway: calls time out after the function did its work, retries count nothing twice', async () => {
    const gatewayPort = await freePort();
    const r = seededRandom(7);
    // A third of the answers arrive after the connector's 400 ms timeout.
    const proxy = await startSlowProxy(`http://127.0.0.1:${gatewayPort}`, () =>
      r() < 0.3 ? 600 + r() * 400 : r() * 100,
    );
    try {
      const s = await start({
        gatewayPort,
        // Through the (slowed) gateway, as GATEWAY_INVOKE=true calls functions.
        connectorEnv: {
          GATEWAY_URL: proxy.url,
          GATEWAY_INVOKE: 'true',
          INVOKE_TIMEOUT: '400ms',
          RETRY_BASE_DELAY: '50ms',
        },
      });
      await run(s);
      expect(await settle(s, N, 150_000)).toEqual(expect.objectContaining({ total: N, anomalies: errors }));
      expect(proxy.stats(400).slow).toBeGreaterThan(10);
    } finally {
      await proxy.close();
    }
  }, 240_000);

  it('two replicas of each function and two connectors give the same counts', async () => {
    const s = await start({ replicas: 2, connectors: 2 });
    const rest = await openInOrder(s);
    await run(
      s,
      async () => {
        // and one replica dies on the way: the connector fails over to the other
        s.supervisor.children.get('parse-log-2')?.kill('SIGKILL');
      },
      rest,
    );
    expect(await settle(s, N)).toEqual(expect.objectContaining({ total: N, anomalies: errors }));
    // Same template ids as one parser that saw every line in order.
    expect(await storedTemplateIds(last.ns)).toEqual(sequentialTemplateIds());
  });

  it('two replicas with training on: same template ids as one parser, every model version trained once', async () => {
    const s = await start({
      replicas: 2,
      connectors: 2,
      detectEnv: { MIN_TRAINING: '1000', RETRAIN_AFTER: '6000' },
    });
    await run(s, undefined, await openInOrder(s));
    expect((await settle(s, N)).total).toBe(N);
    expect(await storedTemplateIds(last.ns)).toEqual(sequentialTemplateIds());
    // Each version was trained by exactly one replica, and both replicas now score with the last one.
    const trained = ['detect-anomaly', 'detect-anomaly-2'].flatMap((name) =>
      readFileSync(join(last.dataDir, 'logs', `${name}.log`), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"model trained"'))
        .map((l) => (JSON.parse(l) as { version: number }).version),
    );
    const kv = await createRedisKv({ url: redisUrl(), prefix: `${last.ns}:`, logger: silentLogger });
    const version = Number((await kv.hgetall(MODEL_KEYS.meta('faults'))).version);
    await kv.close();
    expect(version).toBeGreaterThanOrEqual(2);
    expect(trained.sort((a, b) => a - b)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
    const status = (await (await fetch(`${s.gatewayUrl}/function/stats`)).json()) as {
      model?: { source: string; version: number }[];
    };
    expect(status.model?.find((m) => m.source === 'faults')?.version).toBe(version);
  });
});

/**
 * The templates the parse-log replicas stored for the stream's source, as stats counts them: merged ids
 * followed to their canonical one. Merges are decided from counts, so a replica that saw half the lines
 * may file a line under a cluster it merges later; what must agree is where every id ends up.
 */
async function storedTemplateIds(ns: string): Promise<string[]> {
  const kv = await createRedisKv({ url: redisUrl(), prefix: `${ns}:`, logger: silentLogger });
  const stored = await kv.hgetall(templateKey('faults'));
  await kv.close();
  const canonical = (id: string): string => {
    for (let hops = 0, at = id; hops < 8; hops++) {
      const m = (JSON.parse(stored[at] ?? '{}') as { m?: string }).m;
      if (!m) return at;
      at = m;
    }
    return id;
  };
  return [...new Set(Object.keys(stored).map(canonical))].sort();
}

/** The canonical template ids of one parser that sees every line of the stream in order. */
function sequentialTemplateIds(): string[] {
  const p = createLineParser({ source: 'faults' });
  const ids = new Set<string>();
  for (let i = 0; i < lines.length; i += 500)
    for (const e of p.parse(lines.slice(i, i + 500))) ids.add(e.templateId);
  return [...new Set([...ids].map((id) => p.miner.canonicalId(id)))].sort();
}

async function tcpUp(port: number) {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    try {
      await tcpReachable(`redis://127.0.0.1:${port}`, port, 200);
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`redis on ${port} did not start`);
}

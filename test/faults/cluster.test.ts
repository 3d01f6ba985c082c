// The fault suite's exact counts on a Redis Cluster (3 masters, 3 replicas, started here on free ports),
// through the full process stack with REDIS_CLUSTER_NODES and REDIS_WAIT_REPLICAS=1 and a steady stream:
// two replicas of each function and two connectors writing concurrently; then the master serving the
// hottest slot (the all-time stats counters, written by every batch) killed -9 mid-stream. Its replica
// takes over and the killed node rejoins as its replica; the batches that failed meanwhile are retried by
// the connector and the per-slot idempotency keys absorb what had been applied. Every line counted once,
// the same anomalies as without faults.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KEYS } from '../../core/stats/keys.js';
import { dropNamespace } from '../../runner/drop-namespace.js';
import type { ProcessStack } from '../../runner/processes.js';
import { mixedLines } from '../e2e/lines.js';
import { startTestStack } from '../e2e/stack.js';
import { amqpUrl, requireService, tcpReachable, uniqueName } from '../services.js';
import { startTestCluster, type TestCluster } from '../support/redis-cluster.js';
import { faultStream, settle } from './stream.js';

const up = await requireService('rabbitmq', () => tcpReachable(amqpUrl(), 5672));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let stack: ProcessStack | undefined;
/** One cluster for the file (the master kill goes last and leaves it whole: the victim rejoins). */
let cluster: TestCluster;
let ns = '';
let dataDir = '';
beforeAll(() => {
  if (up) cluster = startTestCluster();
});
afterAll(() => cluster?.stop());
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  if (ns) await dropNamespace({ amqpUrl: amqpUrl(), ns });
});

/** The process stack on the cluster, `replicas` of each function and `connectors` connectors. */
async function startOnCluster(replicas = 1, connectors = 1): Promise<ProcessStack> {
  ns = uniqueName('cluster-faults');
  stack = await startTestStack({
    ns,
    dataDir: (dataDir = mkdtempSync(join(tmpdir(), 'logfaas-cluster-faults-'))),
    password: 'faults-password',
    // Unreachable on purpose: every component must take the cluster, none the single-node URL.
    redisUrl: 'redis://127.0.0.1:1',
    redisClusterNodes: cluster.nodes,
    replicas,
    connectors,
    // Each batch write waits for its replica: a failover cannot lose a batch already acknowledged.
    env: { REDIS_WAIT_REPLICAS: '1' },
    envFor: {
      // As in faults.test.ts: rules only, every error line an anomaly, whatever the scoring order.
      'detect-anomaly': { MIN_TRAINING: '100000000', LEVEL_RATE: '1', LEVEL_ROUTINE: '1000000000' },
      connector: { REBUILD_INTERVAL: '1s', RETRY_MAX_DELAY: '2s', MAX_ATTEMPTS: '40' },
    },
  });
  await sleep(1_500);
  return stack;
}

const streamTo = (s: ProcessStack, fault?: () => Promise<void>) => faultStream(s, lines, fault);

const N = 20_000;
const { lines, errors } = mixedLines(N, 11);

describe.skipIf(!up)('faults on a Redis Cluster', () => {
  it('two replicas of each function and two connectors on the cluster: every line exactly once', async () => {
    const s = await startOnCluster(2, 2);
    await streamTo(s);
    expect(await settle(s, N, 90_000)).toEqual(expect.objectContaining({ total: N, anomalies: errors }));
  }, 180_000);

  it('a master killed -9 mid-stream while its replica takes over: every line exactly once', async () => {
    const c = cluster;
    const s = await startOnCluster();
    const hot = `${ns}:${KEYS.counters}`;
    const victim = await c.masterOf(hot);
    let failoverMs = 0;
    let rejoinMs = 0;
    const r = await streamTo(s, async () => {
      const t0 = Date.now();
      c.kill(victim);
      for (let i = 0; i < 200; i++) {
        await sleep(50);
        const now = await c.masterOf(hot).catch(() => victim);
        if (now !== victim && (await c.isMaster(now))) break;
      }
      failoverMs = Date.now() - t0;
      // The new master has no replica until the old one rejoins (writes to its slots wait and retry).
      c.restart(victim);
      for (let i = 0; i < 200 && !(await c.isReplica(victim)); i++) await sleep(50);
      rejoinMs = Date.now() - t0;
    });
    const promoted = await c.masterOf(hot);
    expect(promoted).not.toBe(victim);
    expect(await c.isReplica(victim)).toBe(true);
    console.log(
      `cluster master kill: failover ${failoverMs} ms, rejoined ${rejoinMs} ms, ${r.resends} resends`,
    );
    expect(await settle(s, N, 120_000)).toEqual(expect.objectContaining({ total: N, anomalies: errors }));
    // The kill did hit the stream: batches failed on the dead master (or for want of a replica) and
    // were retried by the connector.
    const failed = readFileSync(join(dataDir, 'logs', 'detect-anomaly.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"detect-anomaly failed"')).length;
    expect(failed).toBeGreaterThan(0);
    console.log(`cluster master kill: ${failed} detect-anomaly batches failed and were retried`);
  }, 240_000);
});

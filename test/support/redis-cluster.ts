// A throwaway Redis Cluster for a test that must break it (kill a master): started with
// test/support/redis-cluster.sh on free ports, removed by stop(). Tests that only use a cluster take the
// one .ci/run starts (TEST_REDIS_CLUSTER_NODES).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { slotOf } from '../../core/kv/slots.js';

const SCRIPT = join(import.meta.dirname, 'redis-cluster.sh');

export interface TestCluster {
  /** `host:port,...` of all six nodes (REDIS_CLUSTER_NODES). */
  nodes: string;
  /** Port of the master serving `key`'s slot (a namespaced key, as stored). */
  masterOf(key: string): Promise<number>;
  /** kill -9 of the node on `port`. */
  kill(port: number): void;
  /** Starts a killed node again: it rejoins the cluster (as a replica once its slots moved). */
  restart(port: number): void;
  /** Whether the node on `port` is a master now and not marked failed, as a live node sees it. */
  isMaster(port: number): Promise<boolean>;
  /** Whether the node on `port` is a connected replica now, as a live node sees it. */
  isReplica(port: number): Promise<boolean>;
  stop(): void;
}

export function startTestCluster(): TestCluster {
  const dir = mkdtempSync(join(tmpdir(), 'logfaas-cluster-'));
  const nodes = execFileSync(SCRIPT, ['start', dir], { encoding: 'utf8' }).trim();
  const ports = nodes.split(',').map((n) => Number(n.split(':')[1]));
  const ask = async <T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> => {
    const r = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    r.on('error', () => {}); // a killed node: the rejected command says it
    try {
      await r.connect();
      return await fn(r);
    } finally {
      r.disconnect();
    }
  };
  const killed = new Set<number>();
  const askAny = async <T>(fn: (r: Redis) => Promise<T>): Promise<T> => {
    const alive = ports.filter((p) => !killed.has(p));
    return ask(alive[0], fn);
  };
  const flagsOf = async (port: number): Promise<string> => {
    const text = (await askAny((r) => r.cluster('NODES'))) as string;
    const line = text.split('\n').find((l) => l.split(' ')[1]?.startsWith(`127.0.0.1:${port}@`));
    return line?.split(' ')[2] ?? '';
  };
  return {
    nodes,
    async masterOf(key) {
      const slot = slotOf(key);
      const slots = (await askAny((r) => r.cluster('SLOTS'))) as unknown as [
        number,
        number,
        [string, number],
      ][];
      const hit = slots.find(([lo, hi]) => slot >= lo && slot <= hi);
      if (!hit) throw new Error(`no node serves slot ${slot}`);
      return hit[2][1];
    },
    kill(port) {
      const pid = Number(readFileSync(join(dir, String(port), 'redis.pid'), 'utf8'));
      process.kill(pid, 'SIGKILL');
      killed.add(port);
    },
    restart(port) {
      execFileSync(SCRIPT, ['restart', dir, String(port)]);
      killed.delete(port);
    },
    async isMaster(port) {
      const flags = await flagsOf(port);
      return flags.includes('master') && !flags.includes('fail');
    },
    async isReplica(port) {
      const flags = await flagsOf(port);
      if (!flags.includes('slave') || flags.includes('fail')) return false;
      const info = await ask(port, (r) => r.info('replication'));
      return /master_link_status:up/.test(info);
    },
    stop() {
      execFileSync(SCRIPT, ['stop', dir]);
    },
  };
}

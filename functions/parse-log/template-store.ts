// Shares template clusters across replicas and restarts through the KV (the only I/O of the miner).
// Layout: hash `parse:tpl:{source}`, one field per cluster id, value = JSON StoredCluster.
// Reads: one hgetall when a source is first seen or its copy is older than refreshMs.
// Writes: one apply per batch; new clusters with hsetnx (first writer wins, ids are content-addressed
// so a second writer would write the same thing), generalised clusters with hset (merged on load).
import type { KV, WriteOp } from '../../core/kv/types.js';
import type { Logger } from '../../core/log.js';
import { type Cluster, type MinerLimits, type StoredCluster, TemplateMiner, toStored } from './drain.js';

export const templateKey = (source: string) => `parse:tpl:${source}`;

export interface TemplateStoreOptions {
  kv: KV;
  limits: MinerLimits;
  /** How old a source's local copy may get before the next batch reloads it from the KV. */
  refreshMs: number;
  /** Sources kept in memory; the least recently used is dropped (its clusters stay in the KV). */
  maxSources: number;
  now: () => number;
  logger: Logger;
}

interface Entry {
  miner: TemplateMiner;
  loadedAt: number;
  loading?: Promise<void>;
}

export class TemplateStore {
  private readonly sources = new Map<string, Entry>();

  constructor(private readonly o: TemplateStoreOptions) {}

  /** The miner for a source, loaded from (or refreshed against) the KV first when needed. */
  async minerFor(source: string): Promise<TemplateMiner> {
    let e = this.sources.get(source);
    if (e) {
      this.sources.delete(source);
      this.sources.set(source, e);
    } else {
      e = { miner: new TemplateMiner(source, this.o.limits), loadedAt: -Infinity };
      this.sources.set(source, e);
      this.evict();
    }
    if (this.o.now() - e.loadedAt >= this.o.refreshMs) {
      e.loading ??= this.load(e).finally(() => {
        e.loading = undefined;
      });
    }
    if (e.loading) await e.loading;
    return e.miner;
  }

  /** Writes the clusters a batch created or generalised, in one atomic apply. */
  async flush(miner: TemplateMiner): Promise<void> {
    const { created, changed } = miner.takeChanges();
    if (created.length === 0 && changed.length === 0) return;
    const key = templateKey(miner.source);
    const ops: WriteOp[] = created.map((c) => ({ op: 'hsetnx', key, field: c.id, value: encode(c) }));
    if (changed.length)
      ops.push({ op: 'hset', key, fields: Object.fromEntries(changed.map((c) => [c.id, encode(c)])) });
    try {
      await this.o.kv.apply(ops);
    } catch (e) {
      // The batch is already parsed; keep the changes for the next flush rather than fail it.
      miner.requeue(created, changed);
      this.o.logger.warn('template flush failed', { source: miner.source, err: String(e) });
    }
  }

  private async load(e: Entry): Promise<void> {
    try {
      const all = await this.o.kv.hgetall(templateKey(e.miner.source));
      // Oldest first, so that under the cap the same clusters are adopted by every replica.
      const rows = Object.entries(all)
        .map(([id, v]) => [id, decode(v)] as const)
        .filter((r): r is [string, StoredCluster] => r[1] !== undefined)
        .sort((a, b) => a[1].c - b[1].c || (a[0] < b[0] ? -1 : 1));
      for (const [id, sc] of rows) e.miner.merge(id, sc);
      e.loadedAt = this.o.now();
    } catch (err) {
      // Parse with what we have; content-addressed ids keep replicas mostly in agreement meanwhile.
      this.o.logger.warn('template load failed', { source: e.miner.source, err: String(err) });
    }
  }

  private evict(): void {
    while (this.sources.size > this.o.maxSources) {
      const oldest = this.sources.keys().next().value as string;
      this.sources.delete(oldest);
    }
  }
}

function encode(c: Cluster): string {
  return JSON.stringify(toStored(c));
}

function decode(v: string): StoredCluster | undefined {
  try {
    const x = JSON.parse(v) as StoredCluster;
    const ok =
      Array.isArray(x.tk) &&
      x.tk.every((t) => typeof t === 'string') &&
      Array.isArray(x.p) &&
      x.p.every((t) => typeof t === 'string') &&
      x.p[0] === String(x.tk.length) &&
      typeof x.c === 'number';
    return ok ? x : undefined;
  } catch {
    return undefined;
  }
}

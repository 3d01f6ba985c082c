// Shares template clusters across replicas and restarts through the KV (the only I/O of the miner).
// Layout (core/templates.ts, shared with stats): hash `parse:tpl:{source}`, one field per cluster id,
// value = JSON StoredTemplate.
// Reads: one hgetall when a source is first seen or its copy is older than refreshMs.
// Writes: one apply per batch; new clusters with hsetnx, generalised clusters with hset (merged on load).
//
// Agreement across replicas: ids are content-addressed from a cluster's first line, so two replicas that
// meet the same template through different first lines (`request PUT /a failed` on one, `request PUT /b
// failed` on the other) would mint two ids for it. So a batch that creates a template is parsed again
// under the source's creation lock in the KV, on clusters freshly loaded from it: creation is serialised
// across replicas, and a template another replica registered first is joined, not duplicated. Batches
// that create nothing (nearly all, once a source is warm) take no lock.
import { acquireLock } from '../../core/kv/lock.js';
import { slotTag } from '../../core/kv/slots.js';
import type { KV, WriteOp } from '../../core/kv/types.js';
import type { Logger } from '../../core/log.js';
import { decodeTemplate, encodeTemplate, OTHER_TEMPLATE_SOURCE, templateKey } from '../../core/templates.js';
import { type Cluster, type MinerLimits, type StoredCluster, TemplateMiner, toStored } from './drain.js';

export { OTHER_TEMPLATE_SOURCE, templateKey } from '../../core/templates.js';
/** Held while a batch that creates templates is re-parsed and its new clusters written. */
export const creationLockKey = (source: string) => `parse:tpl-lock:${slotTag(source)}`;
/**
 * Hash: source -> templates it stored. Membership is the registry of sources with templates of their
 * own (capped at maxSources); the sum bounds the templates of all sources (maxTemplatesTotal).
 */
export const SOURCES_KEY = 'parse:sources';
/** Over-cap sources remembered, so each does not re-read the registry per batch. */
const OVERFLOW_CACHE = 10_000;

export interface TemplateStoreOptions {
  kv: KV;
  limits: MinerLimits;
  /** How old a source's local copy may get before the next batch reloads it from the KV. */
  refreshMs: number;
  /** Sources with templates of their own in the KV; later sources share OTHER_TEMPLATE_SOURCE's. */
  maxSources: number;
  /** Sources whose templates are kept in memory; the least recently used is dropped (they stay in the KV). */
  memorySources: number;
  /** Templates stored over all sources; past it, new templates are given ids but not stored. */
  maxTemplatesTotal: number;
  now: () => number;
  logger: Logger;
  /** How long a replica waits for another's creation lock before parsing without it (logged). */
  lockWaitMs?: number;
  /** Expiry of the creation lock, so a replica killed while holding it does not block the source. */
  lockTtlMs?: number;
}

interface Entry {
  miner: TemplateMiner;
  loadedAt: number;
  loading?: Promise<void>;
}

export class TemplateStore {
  private readonly sources = new Map<string, Entry>();
  /** Per-source chain of batches in this process: a batch's two passes must not interleave with another's. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Sources known to be in the registry (a subset of it, so bounded by maxSources). */
  private readonly registered = new Set<string>();
  private readonly overflow = new Set<string>();

  constructor(private readonly o: TemplateStoreOptions) {}

  /**
   * Runs `parse` on the source's miner and stores what it created or generalised. If the batch created
   * templates, it is parsed once more under the creation lock on clusters reloaded from the KV, and that
   * second result is the one returned (no line has seen an id yet, so none changes).
   */
  async parseWith<T>(eventSource: string, parse: (miner: TemplateMiner) => T): Promise<T> {
    const source = await this.templateSourceFor(eventSource);
    const prev = this.queues.get(source) ?? Promise.resolve();
    const run = prev.then(
      () => this.parseSerial(source, parse),
      () => this.parseSerial(source, parse),
    );
    this.queues.set(source, run);
    try {
      return await run;
    } finally {
      if (this.queues.get(source) === run) this.queues.delete(source);
    }
  }

  private async parseSerial<T>(source: string, parse: (miner: TemplateMiner) => T): Promise<T> {
    const miner = await this.minerFor(source);
    // Changes left from an earlier failed flush: carried over if the miner is replaced below.
    const pending = miner.takeChanges();
    miner.requeue(pending.created, pending.changed);
    const before = miner.size;
    const first = parse(miner);
    if (miner.size === before) {
      await this.flush(miner);
      return first;
    }
    const lock = await acquireLock(this.o.kv, creationLockKey(source), {
      ttlMs: this.o.lockTtlMs ?? 5_000,
      waitMs: this.o.lockWaitMs ?? 3_000,
    }).catch(() => undefined);
    if (!lock) {
      this.o.logger.warn('template creation lock not acquired; parsing without it', { source });
      await this.flush(miner);
      return first;
    }
    try {
      // Its own limits object: the per-source cap is lowered below once the global budget is known.
      const limits = { ...this.o.limits };
      const entry: Entry = { miner: new TemplateMiner(source, limits), loadedAt: -Infinity };
      const [, budget] = await Promise.all([this.load(entry), this.globalBudget()]);
      limits.maxTemplatesPerSource = Math.min(limits.maxTemplatesPerSource, entry.miner.size + budget);
      if (entry.loadedAt === -Infinity) {
        // The KV did not answer: keep the first pass (content-addressed ids keep most agreement).
        await this.flush(miner);
        return first;
      }
      for (const c of pending.created) entry.miner.merge(c.id, toStored(c));
      const fresh = pending.created.flatMap((c) => entry.miner.get(c.id) ?? []);
      const changed = pending.changed.flatMap((c) => entry.miner.get(c.id) ?? []);
      entry.miner.requeue(fresh, changed);
      const second = parse(entry.miner);
      await this.flush(entry.miner);
      if (this.sources.has(source)) this.sources.set(source, entry);
      return second;
    } finally {
      await lock.release();
    }
  }

  /**
   * The source whose templates a batch uses: its own while it is registered or the registry has room,
   * else OTHER_TEMPLATE_SOURCE, so a flood of source names cannot grow the KV or memory without bound.
   * (Replicas registering at the same moment can pass the cap by a few; the registry only grows.)
   */
  private async templateSourceFor(source: string): Promise<string> {
    if (this.registered.has(source)) return source;
    if (this.overflow.has(source)) return OTHER_TEMPLATE_SOURCE;
    try {
      const registry = await this.o.kv.hgetall(SOURCES_KEY);
      if (!(source in registry)) {
        if (Object.keys(registry).length >= this.o.maxSources) {
          if (this.overflow.size >= OVERFLOW_CACHE) this.overflow.clear();
          this.overflow.add(source);
          return OTHER_TEMPLATE_SOURCE;
        }
        await this.o.kv.apply([{ op: 'hincrby', key: SOURCES_KEY, field: source, by: 0 }]);
      }
      this.registered.add(source);
    } catch (err) {
      // KV down: parse with the source's own clusters; it is registered with a later batch.
      this.o.logger.warn('template source registry unavailable', { source, err: String(err) });
    }
    return source;
  }

  /** Templates that may still be stored over all sources. */
  private async globalBudget(): Promise<number> {
    try {
      const counts = await this.o.kv.hgetall(SOURCES_KEY);
      let total = 0;
      for (const v of Object.values(counts)) total += Number(v) || 0;
      return Math.max(0, this.o.maxTemplatesTotal - total);
    } catch {
      return 0;
    }
  }

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
    // Counted per writer: a cluster two replicas both wrote counts twice, which errs on the safe side.
    if (created.length)
      ops.push({ op: 'hincrby', key: SOURCES_KEY, field: miner.source, by: created.length });
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
    while (this.sources.size > this.o.memorySources) {
      const oldest = this.sources.keys().next().value as string;
      this.sources.delete(oldest);
    }
  }
}

function encode(c: Cluster): string {
  return encodeTemplate(toStored(c));
}

function decode(v: string): StoredCluster | undefined {
  return decodeTemplate(v);
}

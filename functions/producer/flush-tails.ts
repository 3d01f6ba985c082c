// The sweep that publishes held-back tails (tails.ts) once their source has been quiet for
// MULTILINE_FLUSH. Any replica may run it: the source's lock makes exactly one of them publish a tail,
// and a tail published twice (a replica dying between publish and delete) keeps its batch id, which
// downstream applies once.
import type { Broker } from '../../core/broker/types.js';
import type { KV } from '../../core/kv/types.js';
import type { Logger } from '../../core/log.js';
import type { ProducerConfig } from './config.js';
import { textBatchHeaders } from './publish.js';
import { TailStore } from './tails.js';

export interface TailSweeperDeps {
  kv: KV;
  broker: Broker;
  config: Pick<ProducerConfig, 'topic'>;
  logger: Logger;
  now?: () => number;
}

export interface TailSweeper {
  /** One pass: publishes every tail that fell due; returns how many. */
  sweep(): Promise<number>;
  /** Sweeps every `intervalMs` until the returned stop is called. */
  start(intervalMs: number): () => void;
}

/** Entries this replica already resolved, remembered so a sweep does not lock them again each second. */
const MAX_REMEMBERED = 10_000;
const UTF8 = new TextEncoder();

export function createTailSweeper(deps: TailSweeperDeps): TailSweeper {
  const now = deps.now ?? Date.now;
  const store = new TailStore(deps.kv);
  const resolved = new Map<string, number>();

  /** 'busy' when a request or another replica holds the source; 'none' when its tail is gone or not due. */
  async function flushOne(source: string, at: number): Promise<'busy' | 'none' | 'published'> {
    const lock = await store.lock(source, 0);
    if (!lock) return 'busy';
    try {
      const tail = await store.get(source);
      if (tail === null || tail.due > at) return 'none';
      await deps.broker.publish(deps.config.topic, UTF8.encode(tail.lines.join('\n')), {
        messageId: tail.id,
        headers: textBatchHeaders(tail.id, source, tail.format, tail.multiline),
        contentType: 'text/plain',
      });
      await store.put(source, null);
      deps.logger.info('held tail flushed', { source, lines: tail.lines.length, batchId: tail.id });
      return 'published';
    } finally {
      await lock.release();
    }
  }

  async function sweep(): Promise<number> {
    const at = now();
    let flushed = 0;
    for (const { source, due } of await store.due(at)) {
      if (resolved.get(source) === due) continue;
      try {
        const r = await flushOne(source, at);
        if (r === 'busy') continue;
        if (r === 'published') flushed++;
        if (resolved.size >= MAX_REMEMBERED) resolved.clear();
        resolved.set(source, due);
      } catch (e) {
        deps.logger.warn('held tail not flushed; next sweep retries', { source, err: String(e) });
      }
    }
    return flushed;
  }

  return {
    sweep,
    start(intervalMs) {
      let running = false;
      const t = setInterval(() => {
        if (running) return;
        running = true;
        sweep()
          .catch((e) => deps.logger.warn('tail sweep failed', { err: String(e) }))
          .finally(() => {
            running = false;
          });
      }, intervalMs);
      t.unref?.();
      return () => clearInterval(t);
    },
  };
}

// detect-anomaly: LogEvents in (NDJSON, or parse-log's compact batch), NDJSON AnomalyResults out. Per batch: one state read, scoring,
// one atomic apply (stats + counters + reservoir, exactly once per batch id), then training when due.
import { BadRequestError, MethodNotAllowedError, toErrorResponse } from '../../core/errors.js';
import type { AnomalyResult, LogEvent } from '../../core/event.js';
import { EVENT_BATCH_TYPE, EventBatchError } from '../../core/event-batch.js';
import { keepStringPrototypeFast } from '../../core/fast-strings.js';
import { deriveBatchId, H, NDJSON } from '../../core/headers.js';
import { knownBytes } from '../../core/http/bytes.js';
import type { KV, WriteOp } from '../../core/kv/types.js';
import type { Logger } from '../../core/log.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import { statsWrites } from '../../core/stats/record.js';
import type { DetectConfig } from './config.js';
import { detectSource } from './detect.js';
import { countTracked, endpointMemo, keysOf } from './features.js';
import { parseBody, parseEventBatch } from './input.js';
import { type ModelCache, refreshModels, trainingDue, trainSource } from './model-store.js';
import { createMuteCache, unmuted } from './mutes.js';
import { readBatchState, reservoirPicks, sourceWrites } from './state.js';

export interface DetectDeps {
  kv: KV;
  config: DetectConfig;
  logger: Logger;
  now?: () => number;
  /** How often the mute list is re-checked (default MUTE_REFRESH_MS). */
  muteRefreshMs?: number;
}

/** Sources beyond the cap share one model state, so the store stays bounded. */
export const OTHER_SOURCE = '_other';

const UTF8 = new TextDecoder();

/** NDJSON LogEvents, or parse-log's compact batch (EVENT_BATCH_TYPE) as the pipeline sends it. */
async function readBody(req: Request, now: number) {
  // ioredis's String subclass slows every string method down until this runs (core/fast-strings.ts).
  keepStringPrototypeFast();
  const type = (req.headers.get(H.contentType) ?? '').split(';')[0].trim().toLowerCase();
  // The bytes the server adapter read, when it kept them (a batch's ~0.5 MB), decoded without reading them
  // through the body stream first (that stream read was ~2-3% of this function's CPU). Same decoding as
  // req.text(): UTF-8, a leading BOM dropped, bad sequences replaced.
  const bytes = knownBytes(req);
  const text = bytes ? UTF8.decode(bytes) : await req.text();
  if (type !== EVENT_BATCH_TYPE) return parseBody(text, now);
  try {
    return parseEventBatch(text, now);
  } catch (e) {
    if (e instanceof EventBatchError) throw new BadRequestError(`bad ${EVENT_BATCH_TYPE} body: ${e.message}`);
    throw e;
  }
}

export function createDetectAnomalyHandler(deps: DetectDeps): (req: Request) => Promise<Response> {
  const { kv, config: cfg, logger } = deps;
  const clock = deps.now ?? Date.now;
  const cache: ModelCache = new Map();
  const mutes = createMuteCache(kv, { logger, refreshMs: deps.muteRefreshMs });

  return async (req) => {
    try {
      if (req.method !== 'POST') throw new MethodNotAllowedError('POST NDJSON LogEvents');
      const now = clock();
      const batchId = req.headers.get(H.batchId) ?? undefined;
      const body = await readBody(req, now);
      if (!body.events.length) {
        throw new BadRequestError('no usable LogEvent in the body (expected NDJSON of parse-log events)', {
          rejected: body.rejected,
          reasons: body.reasons,
        });
      }
      const muted = await mutes.current(now);
      const scored = await scoreBatch(body.events, body.times, now);
      const { writes, due } = scored;
      const anomalies = unmuted(scored.anomalies, muted);
      const applied = await kv.apply(
        [...statsWrites({ events: body.events, anomalies, now }), ...writes],
        batchId ? { onceKey: `detect:${batchId}` } : {},
      );
      if (applied) await trainDue(due, now);
      const headers: Record<string, string> = {
        'content-type': NDJSON,
        'x-events-processed': String(body.events.length),
        'x-lines-rejected': String(body.rejected),
      };
      if (batchId) headers[H.batchId] = deriveBatchId(batchId, 'detect-anomaly');
      const text = anomalies.map((a) => JSON.stringify(a)).join('\n');
      return new Response(text ? `${text}\n` : '', { status: 200, headers });
    } catch (e) {
      if (!(e instanceof BadRequestError || e instanceof MethodNotAllowedError)) {
        logger.error('detect-anomaly failed', { err: e instanceof Error ? e.stack : String(e) });
      }
      return toErrorResponse(e);
    }
  };

  async function scoreBatch(events: LogEvent[], times: number[], now: number) {
    // Keys once per event; group by (capped) source, remembering input order.
    const endpoints = endpointMemo();
    const keys = events.map((e, i) => keysOf(e, cfg.windowMs, now, times[i], endpoints));
    const groups = new Map<string, number[]>();
    for (let i = 0; i < events.length; i++) {
      const g = groups.get(events[i].source);
      if (g) g.push(i);
      else groups.set(events[i].source, [i]);
    }
    const bucketsOf = (idx: number[]) => [...new Set(idx.map((i) => keys[i].bucket))];
    const buckets = new Map<string, number[]>();
    for (const [source, idx] of groups) buckets.set(source, bucketsOf(idx));
    // The registry is read with the rest; map over-cap sources to OTHER_SOURCE after the read.
    let state = await readBatchState(kv, buckets, cfg);
    const registrySnapshot = new Set(Object.keys(state.registry));
    const stateSource = (s: string) =>
      registrySnapshot.has(s) || registrySnapshot.size < cfg.maxSources ? s : OTHER_SOURCE;
    if ([...groups.keys()].some((s) => stateSource(s) !== s)) {
      const merged = new Map<string, number[]>();
      for (const [s, idx] of groups)
        merged.set(stateSource(s), [...(merged.get(stateSource(s)) ?? []), ...idx]);
      groups.clear();
      buckets.clear();
      for (const [s, idx] of merged) {
        groups.set(s, idx);
        buckets.set(s, bucketsOf(idx));
      }
      state = await readBatchState(kv, buckets, cfg);
    }
    const metas = new Map([...state.states].map(([s, st]) => [s, st.meta]));
    await refreshModels(kv, cache, metas, logger);

    const perEvent: (AnomalyResult | undefined)[] = new Array(events.length);
    const writes: WriteOp[] = [];
    const due: { source: string; meta: Record<string, string>; reason: string }[] = [];
    // Room left under MAX_TRACKED_TOTAL, shared by this batch's sources in turn. Replicas read it
    // concurrently, so the total can pass the cap by what their batches add at once.
    let room = Math.max(0, cfg.maxTrackedTotal - state.trackedTotal);
    for (const [source, idx] of groups) {
      const st = state.states.get(source)!;
      const cached = cache.get(source);
      const trackedBefore = countTracked(st.counters.stats);
      const maxTracked = Math.min(cfg.maxTracked, trackedBefore + room);
      const r = detectSource(
        idx.map((i) => events[i]),
        st.counters,
        cached?.model,
        maxTracked === cfg.maxTracked ? cfg : { ...cfg, maxTracked },
        now,
        idx.map((i) => keys[i]),
      );
      const added = countTracked(r.deltas.stats, st.counters.stats);
      room = Math.max(0, room - added);
      if (added > 0 || (trackedBefore > 0 && state.tracked[source] !== String(trackedBefore)))
        writes.push({
          op: 'hset',
          key: MODEL_KEYS.tracked,
          fields: { [source]: String(trackedBefore + added) },
        });
      const byEvent = new Map(r.anomalies.map((a) => [a.event, a]));
      idx.forEach((i) => {
        perEvent[i] = byEvent.get(events[i]);
      });
      const collected = Number(st.meta.collected) || 0;
      const seed = cfg.seed ^ Math.imul(idx.length, 0x9e3779b1) ^ Math.imul(collected + 1, 0x85ebca6b);
      const picks = reservoirPicks(idx.length, collected, cfg, seed ^ (keys[idx[0]].ts % 0x7fffffff));
      writes.push(
        ...sourceWrites(source, r, cfg, {
          now,
          scored: !!cached?.model,
          newSource: !registrySnapshot.has(source),
          picks,
          existingWindows: st.counters.windows,
        }),
      );
      if (cached?.error && st.meta.lastError !== cached.error) {
        writes.push({ op: 'hset', key: MODEL_KEYS.meta(source), fields: { lastError: cached.error } });
      }
      // Judge "due" on the counters as they will be after this batch.
      const after = {
        ...st.meta,
        collected: String(collected + picks.length),
        sinceTrain: String((Number(st.meta.sinceTrain) || 0) + idx.length),
      };
      const reason = trainingDue(after, cached, cfg, now);
      if (reason) due.push({ source, meta: st.meta, reason });
    }
    return { anomalies: perEvent.filter((a): a is AnomalyResult => a !== undefined), writes, due };
  }

  async function trainDue(
    due: { source: string; meta: Record<string, string>; reason: string }[],
    now: number,
  ) {
    for (const d of due)
      await trainSource(kv, d.source, d.meta, cfg, { logger, now, reason: d.reason, cache });
  }
}

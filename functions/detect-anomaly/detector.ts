// The detection core of one batch, without HTTP: one state read, scoring, count baselines, incidents,
// one atomic apply (stats + counters + incidents + reservoir, exactly once per batch id), then training
// when due. The handler serves it; `logfaas analyze` runs it over a file with an embedded KV.
import type { AnomalyResult, LogEvent } from '../../core/event.js';
import { releaseEvents } from '../../core/event-batch-bin-read.js';
import type { IncidentChange } from '../../core/incident-change.js';
import type { KV, WriteOp } from '../../core/kv/types.js';
import type { Logger } from '../../core/log.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import type { MuteSet } from '../../core/mutes/mute.js';
import type { SearchStoreConfig } from '../../core/search/config.js';
import { type RawBytes, searchWrites } from '../../core/search/store.js';
import { statsWrites } from '../../core/stats/record.js';
import { TemplateMetaSent } from '../../core/stats/template-meta.js';
import { incidentOps } from './batch-incidents.js';
import { bucketsBySource, mergeSources, sameRanges } from './batch-windows.js';
import type { DetectConfig } from './config.js';
import { countTracked } from './counters.js';
import { detectSource } from './detect.js';
import { endpointMemo } from './endpoint-memo.js';
import { scoredTime } from './event-keys.js';
import { KeysPool } from './keys-pool.js';
import { type ModelCache, refreshModels, trainingDue, trainSource } from './model-store.js';
import { createMuteCache, unmuted } from './mutes.js';
import { NormsCache } from './norms-cache.js';
import { readBatchState, reservoirPicks, type SourceState, sourceWrites } from './state.js';

export interface DetectorDeps {
  kv: KV;
  config: DetectConfig;
  logger: Logger;
  /** How often the mute list is re-checked (default MUTE_REFRESH_MS). */
  muteRefreshMs?: number;
  /** Keep the batch's lines for search (core/search), in the same atomic apply; absent = not kept. */
  search?: SearchStoreConfig;
  /** The replica's copies of norms (default: a new one). */
  norms?: NormsCache;
}

/** Sources beyond the cap share one model state, so the store stays bounded. */
export const OTHER_SOURCE = '_other';

/** A batch's events and each one's time (epoch ms, parsed once by the reader). */
export interface EventInput {
  events: LogEvent[];
  times: number[];
  /** Event i whole (a new event), where the reader left out what only an anomaly carries out (input.ts). */
  complete?: (i: number) => LogEvent;
  /** Event i's raw line as bytes it can be copied from (input.ts). */
  rawBytes?: RawBytes;
}

/**
 * A batch whose events are made only once its state is read: `rows` says beforehand each row's source
 * and time (NaN: the receive time), rows that read() will reject among them.
 */
export interface DeferredInput {
  rows: { sources: string[]; times: number[] };
  /** `reuse`: events the reader may overwrite instead of making new ones (event-batch-bin-read.ts). */
  read(reuse?: LogEvent[]): EventInput;
}

/** What scoring a batch gives its apply. */
interface Scored {
  anomalies: AnomalyResult[];
  writes: WriteOp[];
  due: { source: string; meta: Record<string, string>; reason: string }[];
  changes: IncidentChange[];
  states: Map<string, SourceState>;
}

export interface DetectOutcome {
  anomalies: AnomalyResult[];
  applied: boolean;
  incidentChanges: IncidentChange[];
}

export interface Detector {
  /**
   * Scores a batch and applies its effects. `times`: each event's time (epoch ms, parsed once by the
   * reader); `batchId` makes a redelivered batch write nothing. Anomalies in input order.
   */
  process(events: LogEvent[], times: number[], now: number, batchId?: string): Promise<DetectOutcome>;
  /** process() for a batch read only when its state is in (its throw rejects the result). */
  processDeferred(input: DeferredInput, now: number, batchId?: string): Promise<DetectOutcome>;
}

export function createDetector(deps: DetectorDeps): Detector {
  const { kv, config: cfg, logger } = deps;
  const cache: ModelCache = new Map();
  const norms = deps.norms ?? new NormsCache();
  const sentTemplates = new TemplateMetaSent();
  const keyPool = new KeysPool();
  // Events one batch at a time overwrites, from its decode until its writes are built: a batch decoded
  // while they are taken makes its own (what is kept alive across that span is what young-generation
  // collections copy; docs/capacity.md).
  const reused: LogEvent[] = [];
  let reusedTaken = false;
  // Batches in flight in this replica: with others in flight, readBatchState lets their commits land first.
  let inflight = 0;
  const mutes = createMuteCache(kv, { logger, refreshMs: deps.muteRefreshMs });
  const processDeferred = (input: DeferredInput, now: number, batchId?: string) => {
    inflight++;
    // The batch's events exist only from its state read's end until its writes are built, with no wait
    // on the store in between: with several batches in flight, events decoded on arrival were most of
    // what survived young-generation collections (docs/capacity.md).
    return build(input, now).then(
      (b) => applyBuilt(b, now, batchId),
      (e) => {
        inflight--;
        throw e;
      },
    );
  };
  return {
    processDeferred,
    process: (events, times, now, batchId) =>
      processDeferred(
        { rows: { sources: events.map((e) => e.source), times }, read: () => ({ events, times }) },
        now,
        batchId,
      ),
  };

  /** A batch scored and its writes built. Events of a muted template are scored and counted (total,
   * baselines) but never reported: not as anomalies, not in incidents. */
  async function build(input: DeferredInput, now: number) {
    const muted = await mutes.current(now);
    return scoreBatch(input, now, muted);
  }

  /** The batch's writes but those scoring made: stats and kept lines. */
  function batchWrites(input: EventInput, scored: Scored, now: number, muted: MuteSet) {
    const { events, times, rawBytes } = input;
    try {
      const anomalies = unmuted(scored.anomalies, muted);
      const stats = statsWrites({ events, anomalies, now, sentTemplates });
      const ops = [
        ...stats,
        ...scored.writes,
        ...(deps.search ? searchWrites(events, times, { now, config: deps.search, rawBytes }) : []),
      ];
      return { scored, anomalies, stats, ops };
    } catch (e) {
      for (const source of scored.states.keys()) norms.drop(source);
      throw e;
    }
  }

  async function applyBuilt(b: Awaited<ReturnType<typeof build>>, now: number, batchId: string | undefined) {
    const { scored, anomalies, stats } = b;
    let applied: boolean;
    let seq: number;
    try {
      seq = norms.nextApply();
      applied = await kv.apply(b.ops, batchId ? { onceKey: `detect:${batchId}` } : {});
    } catch (e) {
      // Whether the apply wrote is unknown: the copies of these norms are read again.
      for (const source of scored.states.keys()) norms.drop(source);
      throw e;
    } finally {
      inflight--;
    }
    const { writes, due, changes } = scored;
    // Applied now or by an earlier delivery of this batch id: either way its set-once fields are there.
    sentTemplates.note(stats, now);
    // A redelivered batch wrote nothing, so the copies of norms it used still stand.
    if (applied) {
      keepNorms(scored.states, writes, seq);
      await trainDue(due, now);
    }
    // A redelivered batch changed nothing; notify's periodic pass catches a change whose message was lost.
    return { anomalies, applied, incidentChanges: applied ? changes : [] };
  }

  /** The store's state for these sources' windows, read once more with over-cap sources as OTHER_SOURCE. */
  async function readState(buckets: Map<string, number[]>) {
    let state = await readBatchState(kv, buckets, cfg, norms, inflight > 1);
    const registrySnapshot = new Set(Object.keys(state.registry));
    const stateSource = (s: string) =>
      registrySnapshot.has(s) || registrySnapshot.size < cfg.maxSources ? s : OTHER_SOURCE;
    const mapped = mergeSources(buckets, stateSource);
    if (mapped !== buckets) state = await readBatchState(kv, mapped, cfg, norms, inflight > 1);
    await refreshModels(kv, cache, new Map([...state.states].map(([s, st]) => [s, st.meta])), logger);
    return { state, stateSource, registrySnapshot, buckets: mapped };
  }

  /** A batch scored and its writes built. Its events are used only until then (reused events). */
  async function scoreBatch(input: DeferredInput, now: number, muted: MuteSet) {
    const bucketOf = (t: number) => Math.floor(scoredTime(t, now) / cfg.windowMs);
    const read = await readState(bucketsBySource(input.rows.sources, input.rows.times, bucketOf));
    const reuse = reusedTaken ? undefined : reused;
    reusedTaken ||= reuse !== undefined;
    try {
      return await scoreRead(input, now, muted, read, reuse, bucketOf);
    } finally {
      if (reuse) reusedTaken = false;
    }
  }

  /** scoreBatch once the rows' state is read. */
  async function scoreRead(
    input: DeferredInput,
    now: number,
    muted: MuteSet,
    first: Awaited<ReturnType<typeof readState>>,
    reuse: LogEvent[] | undefined,
    bucketOf: (t: number) => number,
  ) {
    let read = first;
    // Nothing from here on waits, unless the events' windows differ from the rows': then the state is
    // read again for the events. Only a row read() rejected can move them; with none rejected, the rows
    // are the events' own sources and times (event-batch-bin.test.ts pins the skim to the decode).
    const batch = input.read(reuse);
    const { events, times, complete } = batch;
    if (events.length !== input.rows.sources.length) {
      const exact = bucketsBySource(
        events.map((e) => e.source),
        times,
        bucketOf,
      );
      if (!sameRanges(read.buckets, mergeSources(exact, read.stateSource))) read = await readState(exact);
    }
    const { state, stateSource, registrySnapshot } = read;
    // Group by (capped) source, remembering input order.
    const groups = new Map<string, number[]>();
    for (let i = 0; i < events.length; i++) {
      const s = stateSource(events[i].source);
      const g = groups.get(s);
      if (g) g.push(i);
      else groups.set(s, [i]);
    }
    // Keys once per event, in reused objects: from here to the end nothing waits (keys-pool.ts).
    const keys = keyPool.keys(events, times, cfg.windowMs, now, endpointMemo());

    const perEvent: (AnomalyResult | undefined)[] = new Array(events.length);
    const writes: WriteOp[] = [];
    const changes: IncidentChange[] = [];
    const due: { source: string; meta: Record<string, string>; reason: string }[] = [];
    // Room left under MAX_TRACKED_TOTAL, shared by this batch's sources in turn. Replicas read it
    // concurrently, so the total can pass the cap by what their batches add at once.
    let room = Math.max(0, cfg.maxTrackedTotal - state.trackedTotal);
    // One source (the usual batch): its events and keys as they are, not copies picked by index.
    const whole = groups.size === 1;
    for (const [source, idx] of groups) {
      const sourceEvents = whole ? events : idx.map((i) => events[i]);
      const st = state.states.get(source)!;
      const cached = cache.get(source);
      const trackedBefore = countTracked(st.counters.stats);
      const maxTracked = Math.min(cfg.maxTracked, trackedBefore + room);
      const r = detectSource(
        sourceEvents,
        st.counters,
        cached?.model,
        maxTracked === cfg.maxTracked ? cfg : { ...cfg, maxTracked },
        now,
        whole ? keys : idx.map((i) => keys[i]),
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
        const a = byEvent.get(events[i]);
        perEvent[i] = a;
        // A reported event goes out whole, and never as one that a later batch overwrites.
        if (a && complete) a.event = complete(i);
      });
      const collected = Number(st.meta.collected) || 0;
      const seed = cfg.seed ^ Math.imul(idx.length, 0x9e3779b1) ^ Math.imul(collected + 1, 0x85ebca6b);
      const picks = reservoirPicks(idx.length, collected, cfg, seed ^ (keys[idx[0]].ts % 0x7fffffff));
      const inc = incidentOps(source, sourceEvents, r, st, { cfg, now, muted });
      changes.push(...inc.changes);
      writes.push(
        ...sourceWrites(source, r, cfg, {
          now,
          scored: !!cached?.model,
          newSource: !registrySnapshot.has(source),
          picks,
          existingWindows: st.counters.windows,
          normsEpoch: norms.epoch,
        }),
        ...inc.writes,
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
    const scored: Scored = {
      anomalies: perEvent.filter((a): a is AnomalyResult => a !== undefined),
      writes,
      due,
      changes,
      states: state.states,
    };
    try {
      return batchWrites(batch, scored, now, muted);
    } finally {
      // The kept events this batch overwrote (one more where its last row was rejected) let go of its
      // texts, which would otherwise outlive it: written, nothing reads them again.
      if (reuse) releaseEvents(reuse, events.length + 1);
    }
  }

  /** After an apply that wrote `writes`: each source's norms as the store now holds them (norms-cache.ts). */
  function keepNorms(states: Map<string, SourceState>, writes: readonly WriteOp[], seq: number) {
    for (const [source, st] of states) {
      const read = st.normsRead;
      if (read?.cacheable)
        norms.commit(
          source,
          { stats: st.counters.stats, packed: st.counters.packed ?? new Map() },
          read.stamp,
          writes,
          seq,
        );
      else norms.drop(source);
    }
  }

  async function trainDue(
    due: { source: string; meta: Record<string, string>; reason: string }[],
    now: number,
  ) {
    for (const d of due)
      await trainSource(kv, d.source, d.meta, cfg, { logger, now, reason: d.reason, cache });
  }
}

// Scores one source's events (pure): features against the source's counters, the forest when one is
// loaded, the explicit rules always; returns anomalies with reasons plus the counter increments.
import type { AnomalyResult, LogEvent } from '../../core/event.js';
import { baselineOptions, type CountFinding, judgeCounts } from './baseline.js';
import type { DetectConfig } from './config.js';
import { CounterView } from './counter-view.js';
import type { SourceCounters } from './counters.js';
import { batchDeltas } from './deltas.js';
import { type EventKeys, keysOf } from './event-keys.js';
import { isNew, markLatencyTails, maxFeatureZ, mergeReasons, modelReasons, ruleReasons } from './explain.js';
import { DIMS } from './features.js';
import type { Forest } from './forest.js';
import type { ForestScorer } from './forest-scorer.js';
import { featurizeAll } from './rates.js';

export interface LoadedModel {
  forest: Forest;
  /** How this model's forest is scored; its state (rows scored, compiled code) lives as long as the model. */
  scorer: ForestScorer;
  version: number;
  threshold: number;
  center: number[];
  scale: number[];
}

export interface SourceResult {
  anomalies: AnomalyResult[];
  /** Row-major feature vectors, DIMS per event, in input order. */
  vectors: Float64Array;
  keys: EventKeys[];
  deltas: SourceCounters;
  /** Events the model flagged (for the drift signal). */
  modelFlagged: number;
  /** Count, spike, drop and error-rate findings of the batch's buckets (baseline.ts). */
  counts: CountFinding[];
  /** Input indexes of the anomalies, and of the lines of templates new since the source's warm-up. */
  anomalyIndex: number[];
  newTemplateIndex: number[];
}

/** `keys`: the events' keys when the caller already computed them (the handler does, to group by window). */
export function detectSource(
  events: LogEvent[],
  base: SourceCounters,
  model: LoadedModel | undefined,
  cfg: DetectConfig,
  now: number,
  keys: EventKeys[] = events.map((e) => keysOf(e, cfg.windowMs, now)),
): SourceResult {
  const deltas = batchDeltas(keys, base, cfg.maxTracked);
  const view = new CounterView(base, deltas, cfg.windowHistory);
  const stored = new CounterView(base, { stats: new Map(), windows: new Map() }, cfg.windowHistory);
  markLatencyShifts(keys, stored);
  // Tails are judged against the baseline with this batch in it (a batch sees itself, as for every feature).
  for (const [f, n] of markLatencyTails(keys, view, base.stats, cfg)) deltas.stats.set(f, n);
  markPriorErrors(keys, base.stats);
  const vectors = featurizeAll(keys, view, base, cfg);
  const { anomalies, modelFlagged, index } = judge(events, keys, view, vectors, model, cfg);
  // Asked once per line of the batch: the field name is built and looked up once per template.
  const trackedMemo = new Map<string, boolean>();
  const tracked = (tpl: string) => {
    let t = trackedMemo.get(tpl);
    if (t === undefined) {
      const f = `t:${tpl}`;
      trackedMemo.set(tpl, (t = base.stats.has(f) || deltas.stats.has(f)));
    }
    return t;
  };
  const { findings, sets, packedSets } = judgeCounts(keys, base, tracked, baselineOptions(cfg));
  for (const [f, v] of sets) (deltas.sets ??= new Map()).set(f, v);
  deltas.packed = packedSets;
  return {
    anomalies,
    vectors,
    keys,
    deltas,
    modelFlagged,
    counts: findings,
    anomalyIndex: index,
    newTemplateIndex: newTemplateLines(keys, view, cfg, timedWarmup(keys, base, deltas, cfg)),
  };
}

/** Norms fields of the timed warm-up: the source's first event time, and its event count when WARMUP_TIME had passed. */
export const FIRST_TIME_FIELD = '_t0';
export const WARM_AT_FIELD = '_w';

/**
 * The source's event count at which its warm-up ended by event time (its first event time plus
 * WARMUP_TIME), or undefined while it has not; records both fields once (hsetnx, in `deltas.firsts`).
 * A low-volume source (an error log, a service at a few lines a second) takes minutes or days to reach
 * RARE_MIN_EVENTS, and its faults would all fall in a count-only warm-up.
 */
export function timedWarmup(
  keys: EventKeys[],
  base: SourceCounters,
  deltas: SourceCounters,
  cfg: DetectConfig,
): number | undefined {
  const stored = base.stats.get(WARM_AT_FIELD);
  if (stored !== undefined || !keys.length || !Number.isFinite(cfg.warmupTimeMs)) return stored;
  let t0 = base.stats.get(FIRST_TIME_FIELD);
  if (t0 === undefined) {
    t0 = keys[0].ts;
    (deltas.firsts ??= new Map()).set(FIRST_TIME_FIELD, t0);
  }
  let n = base.stats.get('_n') ?? 0;
  for (const k of keys) {
    n++;
    if (k.ts >= t0 + cfg.warmupTimeMs) {
      (deltas.firsts ??= new Map()).set(WARM_AT_FIELD, n);
      return n;
    }
  }
  return undefined;
}

/** A warn, error or fatal line, or a request that failed (HTTP >= 400): what a timed warm-up lets through. */
const failing = (k: EventKeys) => k.severity >= 2 || (k.status !== undefined && k.status >= 400);

/**
 * Lines of templates first seen after the source's warm-up, less than NOVELTY_EVENTS events and
 * NOVELTY_TIME of event time before them: during the warm-up every template is new, so none counts as
 * news. The warm-up ends at RARE_MIN_EVENTS events, and for failing lines (warn and above, HTTP >= 400)
 * also at `warmAt` (timedWarmup): a template that first fails minutes into a quiet source is news, while
 * its info lines (a planned restart, a rotation) still wait for the count.
 */
export function newTemplateLines(
  keys: EventKeys[],
  view: CounterView,
  cfg: DetectConfig,
  warmAt?: number,
): number[] {
  const out: number[] = [];
  const total = view.total();
  for (let i = 0; i < keys.length; i++) {
    const first = view.firstSeen(keys[i].tpl);
    const since = keys[i].ts - (view.firstTime(keys[i].tpl) ?? keys[i].ts);
    if (since > cfg.noveltyTimeMs) continue;
    if (
      isNew(first, total, cfg) ||
      (warmAt !== undefined &&
        first !== undefined &&
        first >= warmAt &&
        total - first < cfg.noveltyEvents &&
        failing(keys[i]))
    )
      out.push(i);
  }
  return out;
}

/** Sets each key's lines and errors of its template (requests and 5xx of its endpoint) before it: the store's, then the batch's. */
export function markPriorErrors(keys: EventKeys[], stored: ReadonlyMap<string, number>): void {
  const seen = new Map<string, number>();
  const bump = (f: string) => {
    const n = seen.get(f) ?? stored.get(f) ?? 0;
    seen.set(f, n + 1);
    return n;
  };
  const peek = (f: string) => seen.get(f) ?? stored.get(f) ?? 0;
  // Field names made once per template and endpoint: a name built per line is a new string, hashed
  // again by every map it is looked up in.
  const tplNames = new Map<string, [string, string]>();
  const epNames = new Map<string, [string, string]>();
  const named = (m: Map<string, [string, string]>, key: string, errors: string, lines: string) => {
    const n: [string, string] = [errors, lines];
    m.set(key, n);
    return n;
  };
  let sourceErrors = stored.get('_x') ?? 0;
  let sourceLines = stored.get('_n') ?? 0;
  for (const k of keys) {
    k.priorSourceErrors = sourceErrors;
    k.priorSourceLines = sourceLines++;
    if (k.isError) sourceErrors++;
    const [tx, tn] = tplNames.get(k.tpl) ?? named(tplNames, k.tpl, `x:${k.tpl}`, `t:${k.tpl}`);
    k.priorErrors = k.isError ? bump(tx) : peek(tx);
    k.priorLines = bump(tn);
    const ep = k.endpoint;
    if (ep !== undefined) {
      const [ex, en] = epNames.get(ep) ?? named(epNames, ep, `x:e:${ep}`, `e:${ep}`);
      k.priorEndpointErrors = k.status !== undefined && k.status >= 500 ? bump(ex) : peek(ex);
      k.priorEndpointLines = bump(en);
    }
  }
}

export interface Judgement {
  anomalies: AnomalyResult[];
  /** Input index of each anomaly. */
  index: number[];
  /** Model score of every event (NaN without a model or when not walked, 0 below the cut; all exact with exactScores). */
  scores: Float64Array;
  /** Events over the model threshold (the drift signal; estimated from a sample unless exactScores). */
  modelFlagged: number;
}

/** Rules always; the model when loaded, reporting only what it can explain. */
export function judge(
  events: LogEvent[],
  keys: EventKeys[],
  view: CounterView,
  vectors: Float64Array,
  model: LoadedModel | undefined,
  cfg: DetectConfig,
  opts: { exactScores?: boolean } = {},
): Judgement {
  const anomalies: AnomalyResult[] = [];
  const index: number[] = [];
  const scores = new Float64Array(events.length).fill(Number.NaN);
  let modelFlagged = 0;
  const cut = model ? Math.max(model.threshold, cfg.scoreFloor) : Infinity;
  const n = events.length;
  // Which rows walk the forest. The model reports only rows it can explain (some feature >= MODEL_MIN_Z
  // from the training median), so those are scored; of the others only every DRIFT_SAMPLE-th, for the
  // drift count (each counts DRIFT_SAMPLE times: an unbiased estimate). `exactScores` (offline): all.
  let rows: Int32Array | undefined;
  let all: Float64Array | undefined;
  if (model) {
    rows = new Int32Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (
        opts.exactScores ||
        i % DRIFT_SAMPLE === 0 ||
        maxFeatureZ(vectors, i * DIMS, model) >= cfg.modelMinZ
      )
        rows[m++] = i;
    }
    rows = rows.subarray(0, m);
    const picked = m === n ? vectors : new Float64Array(m * DIMS);
    if (m < n)
      for (let j = 0; j < m; j++)
        picked.set(vectors.subarray(rows[j] * DIMS, (rows[j] + 1) * DIMS), j * DIMS);
    // The picked rows at once: tree-major scoring is faster than one vector at a time. Only scores at or
    // over the cut matter here (reported or counted); `exactScores` wants every one.
    const got = model.scorer.score(picked, undefined, opts.exactScores ? undefined : cut);
    all = new Float64Array(n).fill(Number.NaN);
    for (let j = 0; j < m; j++) all[rows[j]] = got[j];
  }
  for (let i = 0; i < n; i++) {
    const off = i * DIMS;
    const e = events[i];
    const rules = ruleReasons(keys[i], view, e.template, cfg);
    const score = all && !Number.isNaN(all[i]) ? all[i] : undefined;
    if (score !== undefined) scores[i] = score;
    const overThreshold = score !== undefined && score >= cut;
    if (overThreshold) {
      // A row scored only as a drift sample stands for the rows of its stride that were not walked (at
      // most DRIFT_SAMPLE: an explainable row of the stride is walked and counts for itself), so the
      // estimate never exceeds the events scored (it used to: `flagged 964 > scored 962`).
      modelFlagged +=
        opts.exactScores || maxFeatureZ(vectors, off, model!) >= cfg.modelMinZ
          ? 1
          : unwalkedInStride(i, n, (r) => maxFeatureZ(vectors, r * DIMS, model!) < cfg.modelMinZ);
    }
    // The model reports only what it can explain: some feature far outside its training spread.
    const explained = overThreshold
      ? modelReasons(vectors, off, model!, keys[i], view, e.template, cfg)
      : undefined;
    const byModel = explained !== undefined && explained.maxZ >= cfg.modelMinZ;
    if (!byModel && rules.length === 0) continue;
    index.push(i);
    if (byModel) {
      const reasons = mergeReasons(explained.reasons, rules);
      anomalies.push({
        event: e,
        score: round(score!),
        detector: 'model',
        reasons,
        modelVersion: model!.version,
      });
    } else {
      anomalies.push({
        event: e,
        // The contract: 1 for a rule hit (the model score, if any, did not pass the threshold).
        score: 1,
        detector: 'rules',
        reasons: [...rules],
        ...(model ? { modelVersion: model.version } : {}),
      });
    }
  }
  return { anomalies, index, scores, modelFlagged };
}

const round = (x: number) => Math.round(x * 10000) / 10000;

/** One row in 8 of those the model could not report is still scored, for the drift count. */
const DRIFT_SAMPLE = 8;

/** Rows of the stride [i, i + DRIFT_SAMPLE) the model could not report (the sampled row i among them). */
function unwalkedInStride(i: number, n: number, unexplained: (row: number) => boolean): number {
  let k = 0;
  for (let r = i; r < Math.min(n, i + DRIFT_SAMPLE); r++) if (unexplained(r)) k++;
  return k;
}

/**
 * A latency spike on one endpoint is a shift of its level, not one slow request: when the batch's mean
 * log-latency for a key is >= 4 standard errors and >= 2x above its stored baseline (>= 3 requests),
 * mark those events so the rules can report the shift even when no single request is extreme.
 */
export function markLatencyShifts(keys: EventKeys[], baseline: CounterView): void {
  const agg = new Map<string, { n: number; sum: number }>();
  for (const k of keys) {
    if (k.latency === undefined) continue;
    const a = agg.get(k.latKey) ?? { n: 0, sum: 0 };
    a.n++;
    a.sum += Math.log2(k.latency + 1);
    agg.set(k.latKey, a);
  }
  const shifts = new Map<string, { ratio: number; n: number }>();
  for (const [key, a] of agg) {
    const s = baseline.latencyLog(key);
    if (!s || a.n < 3 || s.n < 20) continue;
    const diff = a.sum / a.n - s.mean;
    if (diff >= 1 && diff / (Math.max(s.sd, 0.25) / Math.sqrt(a.n)) >= 4)
      shifts.set(key, { ratio: 2 ** diff, n: a.n });
  }
  if (!shifts.size) return;
  for (const k of keys) if (k.latency !== undefined) k.latShift = shifts.get(k.latKey);
}

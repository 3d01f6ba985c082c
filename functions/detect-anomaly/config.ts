// detect-anomaly settings: one pure function of the environment, validated once (docs/detect-anomaly.md).

import { type Env, EnvReader } from '../../core/env.js';
import { type HttpConfig, readHttpConfig } from '../../core/http/config.js';
import { DEFAULT_INCIDENT_QUIET_MS } from '../../core/incident.js';
import { readSearchStoreConfig, type SearchStoreConfig } from '../../core/search/config.js';
import { readStoreConfig, type StoreConfig } from '../../core/stores-config.js';

export interface DetectConfig {
  /** Expected share of anomalies; sets the threshold at the (1 - c) quantile of training scores. */
  contamination: number;
  contaminationBySource: Readonly<Record<string, number>>;
  trees: number;
  sampleSize: number;
  seed: number;
  rangeCheck: boolean;
  /** Vectors in the reservoir before the first model is trained. */
  minTraining: number;
  reservoirCap: number;
  /** Share of events that enter the reservoir once the first model's vectors are collected. */
  reservoirRate: number;
  reservoirPerBatch: number;
  retrainIntervalMs: number;
  retrainAfter: number;
  driftFactor: number;
  driftMinScored: number;
  /** Scores below this never count as model anomalies, whatever the quantile says. */
  scoreFloor: number;
  windowMs: number;
  windowHistory: number;
  maxTracked: number;
  /** Templates+endpoints tracked over all sources together (MAX_TRACKED caps each one). */
  maxTrackedTotal: number;
  maxSources: number;
  lockTtlMs: number;
  /** Rule settings (used before a model exists, and for hard signals after). */
  latencyFactor: number;
  latencyZ: number;
  latencyMinDeltaMs: number;
  modelMinZ: number;
  latencyExtremeMs: number;
  rareTemplateRatio: number;
  rareMinEvents: number;
  /** Event time after a source's first event from which a failing line's template can be new (Infinity: count only). */
  warmupTimeMs: number;
  noveltyEvents: number;
  /** Event time after a template's first line from which its lines are no longer new (its first burst). */
  noveltyTimeMs: number;
  burstMinErrors: number;
  burstErrorRate: number;
  surgeFactor: number;
  /** Count baselines (baseline.ts): buckets followed, non-empty buckets before judging, z, lines in a spike. */
  countHorizon: number;
  countMinBuckets: number;
  countZ: number;
  countMinLines: number;
  /** Share of non-empty buckets above which a source is continuous and judged for drops. */
  dropActive: number;
  /** Event time without a new finding after which an incident closes. */
  incidentQuietMs: number;
  /** A template first seen this long after the latest new-template incident grew opens its own incident. */
  newTemplateGapMs: number;
  /** Errors a template (or 5xx an endpoint) has shown before, from which on its errors are routine. */
  levelRoutine: number;
  /**
   * ...and an error is unusual only where errors were this rare: (errors + 1) / (lines + 1) at most this.
   * LEVEL_RATE=1 with a huge LEVEL_ROUTINE flags every error line (the fault tests count them so).
   */
  levelRate: number;
}

export const DEFAULT_DETECT: DetectConfig = {
  // 1%: the documented default of the issue; about what a healthy service's odd tail looks like.
  contamination: 0.01,
  contaminationBySource: {},
  // 100 trees x 256 samples: the paper's defaults (Liu et al. 2008, section 5.2), where path lengths converge.
  trees: 100,
  sampleSize: 256,
  seed: 1,
  // Out-of-range check at scoring (SCiForest, Liu et al. 2010; see forest.ts): a never-seen extreme value
  // is isolated at once instead of scoring like the tail. Off = the plain 2008 algorithm.
  rangeCheck: true,
  // 1,000 vectors: several times psi = 256, so 100 trees see different subsamples.
  minTraining: 1000,
  // 4,096 recent vectors (~200 KB in the store): enough history for psi = 256 without old regimes dominating.
  reservoirCap: 4096,
  // After the warm-up (MIN_TRAINING vectors, up to 256 per batch), each event enters the reservoir with
  // probability 1/32: the capped list is then a uniform sample of the last ~131,000 events (cap / rate),
  // and a 500-line batch pushes ~16 vectors instead of 256 (each one an encoded row in the batch's apply).
  reservoirRate: 1 / 32,
  // ...and at most 32 per batch, so one huge batch cannot flush the history.
  reservoirPerBatch: 32,
  // Hourly retrain follows slow change (new releases, daily traffic shape).
  retrainIntervalMs: 3_600_000,
  // Also retrain after this many new events: the first model is trained on a young stream. (16,000
  // events: the cadence of the former 8,000 vectors at 256 per 500-line batch.)
  retrainAfter: 16_000,
  // Drift: the model flags 5x its contamination over >= 5,000 events -> the world changed, retrain.
  driftFactor: 5,
  driftMinScored: 5000,
  // 0.55: just above the paper's 0.5 "no distinct anomaly" level, so a clean training set with no
  // anomalies does not force 1% of normal traffic to be flagged.
  scoreFloor: 0.55,
  // 10 s windows, baseline = median of the last 30 (5 min): short enough to see a surge within seconds
  // (rates are judged on the time elapsed in the current window), long enough for stable counts.
  windowMs: 10_000,
  windowHistory: 30,
  // 5,000 templates/endpoints tracked per source (~5 fields each): Drain-style parsers rarely exceed this.
  maxTracked: 5000,
  // Over all sources: without it the worst case was MAX_SOURCES x MAX_TRACKED (5 M keys, ~25 M fields,
  // GBs of Redis) from 1,000 sources each flooding 5,000 templates. 200,000 keeps it near 100 MB.
  maxTrackedTotal: 200_000,
  // 1,000 sources; later ones share the `_other` model state.
  maxSources: 1000,
  // Training takes < 100 ms; 30 s covers a slow store and a replica that dies while holding it.
  lockTtlMs: 30_000,
  // 10x the usual latency of the same endpoint/template is far outside a log-normal body.
  latencyFactor: 10,
  // ...or 3x and 3.5 standard deviations of the endpoint's own log-latency (~2 in 10,000 of a log-normal).
  latencyZ: 3.5,
  // ...and always >= 100 ms slower than usual: 3 -> 150 ms on a static file is a 50x no user notices.
  latencyMinDeltaMs: 100,
  // The model reports an event only when some feature is >= 4 robust z-scores out of its training
  // spread, so every model anomaly has a concrete reason and the 1% tail of normal traffic is not noise.
  modelMinZ: 4,
  // 30 s is extreme for any request/response log whatever the endpoint.
  latencyExtremeMs: 30_000,
  // The warm-up: a template or endpoint first seen in a source's first 1,000 events is never "new" (on
  // the hand-labelled corpus 2,000 hid the faults of short runs and 1,000 added no incident to the
  // fault-free ones); rare = seen in < 1 of 2,000 events.
  rareTemplateRatio: 1 / 2000,
  rareMinEvents: 1000,
  // ...and for failing lines (warn+, HTTP >= 400) also WARMUP_TIME of event time after the source's first
  // line: a low-volume source needs minutes or days to reach 1,000 events. Chosen leave-one-log-out on the
  // hand-labelled corpus (docs/detect-anomaly.md).
  warmupTimeMs: 30_000,
  // A template/endpoint first seen after the warm-up stays "new" for the source's next 10,000 events.
  noveltyEvents: 10_000,
  // ...and only for 5 min of event time after its first line: a template is news once, in its first burst,
  // not again in every later burst of a quiet source (each apt run re-reported the templates of the last).
  noveltyTimeMs: 5 * 60_000,
  // Error burst: >= 5 errors and >= 20% of a window's events.
  burstMinErrors: 5,
  burstErrorRate: 0.2,
  // Traffic surge: a window with 4x the mean of the previous windows.
  surgeFactor: 4,
  // 60 buckets (10 min of 10 s windows): long enough for a stable level, short enough to follow a
  // deploy; 10 non-empty buckets before anything is judged.
  countHorizon: 60,
  countMinBuckets: 10,
  // 4 standard deviations of the key's own log-count (and SURGE_FACTOR): a Poisson count of 400 moves
  // ~7%, its spread floor is 19%; and at least 10 lines, so a template seen twice instead of once is not news.
  countZ: 4,
  countMinLines: 10,
  // Drops only for continuous sources: 90% of buckets hold lines (an apt log is silent for days).
  dropActive: 0.9,
  // 5 min of the source's event time without a finding closes an incident (a burst with pauses stays one).
  incidentQuietMs: DEFAULT_INCIDENT_QUIET_MS,
  // A new template 15 s after the latest new-template incident's last line is another fault, not more of
  // the same burst (chosen leave-one-log-out on the hand-labelled corpus, docs/detect-anomaly.md).
  newTemplateGapMs: 15_000,
  // The 3rd error of a template (5xx of an endpoint) makes its errors routine; a change in their rate is
  // an error_rate incident, not a line anomaly.
  levelRoutine: 3,
  // 0.2%: 500 clean requests before a first 5xx is news (fewer say little about a rare error), 1,000
  // before a second one; an endpoint that fails 1 request in 100 is failing as usual.
  levelRate: 0.002,
};

export interface DetectAppConfig {
  detect: DetectConfig;
  /** SEARCH_INDEX, SEARCH_RETENTION, SEARCH_MAX_BYTES, SEARCH_MAX_CHUNKS (docs/search.md). */
  search: SearchStoreConfig;
  http: HttpConfig;
  store: StoreConfig;
}

export function loadDetectConfig(env: Env): DetectAppConfig {
  const r = new EnvReader(env);
  const d = DEFAULT_DETECT;
  const bySource = r.optStr('CONTAMINATION_BY_SOURCE');
  let contaminationBySource: Record<string, number> = {};
  if (bySource) {
    try {
      const o = JSON.parse(bySource) as unknown;
      if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('not an object');
      for (const [k, v] of Object.entries(o)) {
        if (typeof v !== 'number' || !(v > 0 && v < 0.5))
          throw new Error(`${k}: must be a number in (0, 0.5)`);
      }
      contaminationBySource = o as Record<string, number>;
    } catch (e) {
      r.problem(
        `CONTAMINATION_BY_SOURCE must be a JSON object {source: number in (0, 0.5)}: ${(e as Error).message}`,
      );
    }
  }
  const detect: DetectConfig = Object.freeze({
    contamination: r.num('CONTAMINATION', d.contamination, 0.0001, 0.5),
    contaminationBySource: Object.freeze(contaminationBySource),
    trees: r.int('TREES', d.trees, 1, 1000),
    sampleSize: r.int('SAMPLE_SIZE', d.sampleSize, 2, 4096),
    seed: r.int('SEED', d.seed, 0, 2 ** 31),
    rangeCheck: r.bool('RANGE_CHECK', d.rangeCheck),
    minTraining: r.int('MIN_TRAINING', d.minTraining, 2),
    reservoirCap: r.int('RESERVOIR_CAP', d.reservoirCap, 16, 1_000_000),
    reservoirRate: r.num('RESERVOIR_RATE', d.reservoirRate, 0.0001, 1),
    reservoirPerBatch: r.int('RESERVOIR_PER_BATCH', d.reservoirPerBatch, 1),
    retrainIntervalMs: r.duration('RETRAIN_INTERVAL', d.retrainIntervalMs),
    retrainAfter: r.int('RETRAIN_AFTER', d.retrainAfter, 1),
    driftFactor: r.num('DRIFT_FACTOR', d.driftFactor, 1),
    driftMinScored: r.int('DRIFT_MIN_SCORED', d.driftMinScored, 1),
    scoreFloor: r.num('SCORE_FLOOR', d.scoreFloor, 0, 1),
    windowMs: r.duration('WINDOW', d.windowMs),
    windowHistory: r.int('WINDOW_HISTORY', d.windowHistory, 1, 1000),
    maxTracked: r.int('MAX_TRACKED', d.maxTracked, 10),
    maxTrackedTotal: r.int('MAX_TRACKED_TOTAL', d.maxTrackedTotal, 10),
    maxSources: r.int('MAX_SOURCES', d.maxSources, 1),
    lockTtlMs: r.duration('TRAIN_LOCK_TTL', d.lockTtlMs),
    latencyFactor: r.num('LATENCY_FACTOR', d.latencyFactor, 1),
    latencyZ: r.num('LATENCY_Z', d.latencyZ, 0),
    latencyMinDeltaMs: r.num('LATENCY_MIN_DELTA_MS', d.latencyMinDeltaMs, 0),
    modelMinZ: r.num('MODEL_MIN_Z', d.modelMinZ, 0),
    latencyExtremeMs: r.num('LATENCY_EXTREME_MS', d.latencyExtremeMs, 1),
    rareTemplateRatio: r.num('RARE_TEMPLATE_RATIO', d.rareTemplateRatio, 0, 1),
    rareMinEvents: r.int('RARE_MIN_EVENTS', d.rareMinEvents, 1),
    warmupTimeMs: r.str('WARMUP_TIME', '') === 'off' ? Infinity : r.duration('WARMUP_TIME', d.warmupTimeMs),
    noveltyEvents: r.int('NOVELTY_EVENTS', d.noveltyEvents, 0),
    noveltyTimeMs: r.duration('NOVELTY_TIME', d.noveltyTimeMs),
    burstMinErrors: r.int('BURST_MIN_ERRORS', d.burstMinErrors, 1),
    burstErrorRate: r.num('BURST_ERROR_RATE', d.burstErrorRate, 0, 1),
    surgeFactor: r.num('SURGE_FACTOR', d.surgeFactor, 1),
    countHorizon: r.int('COUNT_HORIZON', d.countHorizon, 2, 100_000),
    countMinBuckets: r.int('COUNT_MIN_BUCKETS', d.countMinBuckets, 1),
    countZ: r.num('COUNT_Z', d.countZ, 0),
    countMinLines: r.int('COUNT_MIN_LINES', d.countMinLines, 1),
    dropActive: r.num('DROP_ACTIVE', d.dropActive, 0, 1),
    incidentQuietMs: r.duration('INCIDENT_QUIET', d.incidentQuietMs),
    newTemplateGapMs: r.duration('NEW_TEMPLATE_GAP', d.newTemplateGapMs),
    levelRoutine: r.int('LEVEL_ROUTINE', d.levelRoutine, 1),
    levelRate: r.num('LEVEL_RATE', d.levelRate, 0, 1),
  });
  const search = readSearchStoreConfig(r, { embedded: !env.REDIS_URL });
  const http = readHttpConfig(r);
  const store = readStoreConfig(r, env);
  r.done();
  return Object.freeze({ detect, search, http, store });
}

export function contaminationFor(cfg: DetectConfig, source: string): number {
  return cfg.contaminationBySource[source] ?? cfg.contamination;
}

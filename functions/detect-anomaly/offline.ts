// Offline analysis of a whole log file (pure): counters over the whole file (fit), a forest trained on a
// sample of its vectors, then every line scored with rules and model. This one-pass form holds every
// line; `logfaas analyze` uses the two-pass StreamingAnalysis (offline-stream.ts), tested against it.
import type { LogEvent } from '../../core/event.js';
import { DEFAULT_DETECT, type DetectConfig } from './config.js';
import { featurizeAll, judge, type LoadedModel } from './detect.js';
import { batchDeltas, CounterView, DIMS, type EventKeys, emptyCounters, keysOf } from './features.js';
import { fitModel } from './fit.js';
import { rng } from './forest.js';

export interface LineVerdict {
  anomaly: boolean;
  /** 1 for a rule hit, else the model score (0 without a model). */
  score: number;
  /** Isolation Forest score of the line, when a model was trained. */
  modelScore?: number;
  detector?: 'model' | 'rules';
  reasons: string[];
}

export interface OfflineResult {
  /** Model score per line (NaN without a model): one typed array, not an object per line. */
  modelScores: Float64Array;
  /** Flagged lines by 0-based index. */
  flagged: Map<number, { score: number; detector: 'model' | 'rules'; reasons: string[] }>;
  model?: {
    trainingSize: number;
    threshold: number;
    contamination: number;
    trees: number;
    sampleSize: number;
  };
  /** Whether line timestamps were usable for rate features. */
  timed: boolean;
}

/** Below this many lines a forest is not trained (psi would be tiny); rules only. */
export const MIN_LINES_FOR_MODEL = 64;
/** Vectors the forest and its threshold are fitted on: enough for 100 subsamples of 256. */
export const TRAINING_SAMPLE = 8192;

/**
 * Offline: "new since the stream started" has no meaning (the whole file is known), every
 * template/endpoint of the file is tracked, and surges need 10x.
 */
export function offlineConfig(base: DetectConfig): DetectConfig {
  return { ...base, noveltyEvents: 0, maxTracked: 1_000_000, surgeFactor: Math.max(base.surgeFactor, 10) };
}

export function analyzeOffline(
  events: LogEvent[],
  base: DetectConfig,
  opts: { contamination: number; keys?: EventKeys[] },
): OfflineResult {
  const cfg = offlineConfig(base);
  const now = 0;
  // Callers streaming a large file pass keys computed per chunk (see slimEvent) to keep memory flat.
  const keys = opts.keys ?? events.map((e) => keysOf(e, cfg.windowMs, now));
  // Lines without their own timestamp are spaced evenly (100 ms), so rate features stay neutral for them.
  const timed = events.filter((e) => e.timestampOriginal !== undefined).length >= events.length / 2;
  keys.forEach((k, i) => {
    if (!timed || events[i].timestampOriginal === undefined) {
      k.ts = i * 100;
      k.bucket = Math.floor(k.ts / cfg.windowMs);
    }
  });
  const empty = emptyCounters();
  const counters = batchDeltas(keys, empty, cfg.maxTracked, Number.POSITIVE_INFINITY);
  const view = new CounterView(empty, counters, cfg.windowHistory);
  const vectors = featurizeAll(keys, view, empty, cfg);

  let model: LoadedModel | undefined;
  if (events.length >= MIN_LINES_FOR_MODEL) {
    model = fitModel(sampleVectors(vectors, TRAINING_SAMPLE, cfg.seed), cfg, {
      contamination: opts.contamination,
      version: 1,
    });
  }
  const j = judge(events, keys, view, vectors, model, cfg, { exactScores: true });
  const flagged: OfflineResult['flagged'] = new Map();
  j.index.forEach((i, k) => {
    const a = j.anomalies[k];
    flagged.set(i, { score: a.score, detector: a.detector, reasons: a.reasons });
  });
  return {
    modelScores: j.scores,
    flagged,
    timed,
    ...(model
      ? {
          model: {
            trainingSize: Math.min(events.length, TRAINING_SAMPLE),
            threshold: round(model.threshold),
            contamination: opts.contamination,
            trees: model.forest.roots.length,
            sampleSize: model.forest.sampleSize,
          },
        }
      : {}),
  };
}

/** One line's verdict, built on demand. */
export function verdictOf(r: OfflineResult, i: number): LineVerdict {
  const ms = r.modelScores[i];
  const modelScore = Number.isNaN(ms) ? undefined : round(ms);
  const f = r.flagged.get(i);
  return {
    anomaly: f !== undefined,
    score: f ? f.score : (modelScore ?? 0),
    ...(modelScore !== undefined ? { modelScore } : {}),
    ...(f ? { detector: f.detector } : {}),
    reasons: f ? f.reasons : [],
  };
}

/** Windows as analyzeOffline uses them (keys for slim events must be computed with this). */
export const OFFLINE_WINDOW_MS = DEFAULT_DETECT.windowMs;

function sampleVectors(vectors: Float64Array, max: number, seed: number): Float64Array {
  const n = vectors.length / DIMS;
  if (n <= max) return vectors;
  const r = rng(seed);
  const out = new Float64Array(max * DIMS);
  // Reservoir sampling (Vitter's algorithm R): uniform over the file, one pass.
  for (let i = 0; i < n; i++) {
    const slot = i < max ? i : Math.floor(r() * (i + 1));
    if (slot < max) out.set(vectors.subarray(i * DIMS, (i + 1) * DIMS), slot * DIMS);
  }
  return out;
}

const round = (x: number) => Math.round(x * 10000) / 10000;

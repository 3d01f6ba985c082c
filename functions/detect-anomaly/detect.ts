// Scores one source's events (pure): features against the source's counters, the forest when one is
// loaded, the explicit rules always; returns anomalies with reasons plus the counter increments.
import type { AnomalyResult, LogEvent } from '../../core/event.js';
import type { DetectConfig } from './config.js';
import { modelReasons, ruleReasons } from './explain.js';
import {
  batchDeltas,
  CounterView,
  DIMS,
  type EventKeys,
  featurize,
  keysOf,
  type SourceCounters,
} from './features.js';
import { type Forest, scoreOne } from './forest.js';

export interface LoadedModel {
  forest: Forest;
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
}

export function detectSource(
  events: LogEvent[],
  base: SourceCounters,
  model: LoadedModel | undefined,
  cfg: DetectConfig,
  now: number,
): SourceResult {
  const keys = events.map((e) => keysOf(e, cfg.windowMs, now));
  const deltas = batchDeltas(keys, base, cfg.maxTracked);
  const view = new CounterView(base, deltas, cfg.windowHistory);
  const vectors = new Float64Array(events.length * DIMS);
  const anomalies: AnomalyResult[] = [];
  let modelFlagged = 0;
  const cut = model ? Math.max(model.threshold, cfg.scoreFloor) : Infinity;
  for (let i = 0; i < events.length; i++) {
    const off = i * DIMS;
    featurize(keys[i], view, vectors, off);
    const e = events[i];
    const rules = ruleReasons(keys[i], view, e.template, cfg);
    const score = model ? scoreOne(model.forest, vectors, off) : undefined;
    const byModel = score !== undefined && score >= cut;
    if (byModel) modelFlagged++;
    if (!byModel && rules.length === 0) continue;
    if (byModel) {
      const reasons = modelReasons(vectors, off, model!, keys[i], view, e.template, cfg.windowMs);
      for (const r of rules) if (!reasons.includes(r)) reasons.push(r);
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
        reasons: rules,
        ...(model ? { modelVersion: model.version } : {}),
      });
    }
  }
  return { anomalies, vectors, keys, deltas, modelFlagged };
}

const round = (x: number) => Math.round(x * 10000) / 10000;

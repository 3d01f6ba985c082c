// Fits a model on feature vectors (pure): the forest, its contamination threshold and the robust
// per-feature centre/scale that explanations are measured against.
import type { DetectConfig } from './config.js';
import type { LoadedModel } from './detect.js';
import { robustStats } from './explain.js';
import { DIMS } from './features.js';
import { thresholdFor } from './forest.js';
import { adaptiveScorer } from './forest-scorer.js';
import { trainForest } from './forest-train.js';

export function fitModel(
  rows: Float64Array,
  cfg: Pick<DetectConfig, 'trees' | 'sampleSize' | 'seed' | 'rangeCheck'> &
    Partial<Pick<DetectConfig, 'scoreFloor'>>,
  opts: { contamination: number; version: number },
): LoadedModel {
  const forest = trainForest(rows, DIMS, {
    trees: cfg.trees,
    sampleSize: cfg.sampleSize,
    seed: cfg.seed + opts.version,
    rangeCheck: cfg.rangeCheck,
  });
  // The model keeps this scorer: the training rows count towards compiling it.
  const scorer = adaptiveScorer(forest);
  // Only the top `contamination` of the training scores matter: score with the floor as a cut (rows below
  // it score 0), and again in full only if the quantile falls below the floor.
  let threshold = thresholdFor(
    scorer.score(rows, undefined, cfg.scoreFloor || undefined),
    opts.contamination,
  );
  if (threshold === 0) threshold = thresholdFor(scorer.score(rows), opts.contamination);
  const { center, scale } = robustStats(rows, DIMS);
  return { forest, scorer, version: opts.version, threshold, center, scale };
}

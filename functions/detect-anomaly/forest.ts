// Isolation Forest (Liu, Ting and Zhou, "Isolation Forest", ICDM 2008), on flat typed arrays: the shapes,
// the paper's formulas and the threshold. Pure: no I/O. Deterministic for a given seed. Training is in
// forest-train.ts, the scoring layout in forest-layout.ts, the walks in forest-walk.ts, the generated
// scorer in forest-compile.ts, the choice between them in forest-scorer.ts, serialisation in forest-codec.ts.
import { seededRandom } from '../../core/random.js';

/** Euler-Mascheroni constant, used by the paper's harmonic-number approximation H(i) ~ ln(i) + gamma. */
const EULER_GAMMA = 0.5772156649015329;

/**
 * Average path length of an unsuccessful BST search over n points, c(n) in the paper (eq. 1):
 * the normaliser of E(h(x)) and the correction added at a leaf that still holds n > 1 points.
 */
export function averagePathLength(n: number): number {
  if (n > 2) return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
  return n === 2 ? 1 : 0;
}

/** s(x, n) = 2^(-E(h(x)) / c(n)) (paper eq. 2): ~1 anomalous, <0.5 normal, ~0.5 everywhere = no anomaly. */
export function anomalyScore(meanPath: number, sampleSize: number): number {
  return 2 ** (-meanPath / averagePathLength(sampleSize));
}

export interface ForestOptions {
  /** t in the paper; 100 is where path lengths converge (paper section 5.2). */
  trees?: number;
  /** psi in the paper; 256 is enough for a wide range of data (section 5.2). */
  sampleSize?: number;
  seed?: number;
  /**
   * Out-of-range check at scoring (the test-time range check of SCiForest, Liu, Ting and Zhou, ECML
   * PKDD 2010): a value outside the range the node's training points had on its split feature is
   * isolated right there (path = depth + 1). Plain iForest sends it down the edge branch and scores it
   * like the most extreme training point, so a never-seen 400-char parameter or a 50x latency looks
   * no odder than the tail. Off = exactly the 2008 algorithm.
   */
  rangeCheck?: boolean;
}

/** A trained forest. Nodes of all trees in one set of arrays; the root of tree t is at roots[t]. */
export interface Forest {
  readonly dims: number;
  readonly sampleSize: number;
  readonly roots: Uint32Array;
  /** Split feature, or -1 for a leaf. */
  readonly feat: Int8Array;
  /** Split value (x < value goes left), or at a leaf the path length depth + c(size). Float32-exact. */
  readonly value: Float64Array;
  /** Index of the left child; the right child is left + 1. */
  readonly left: Uint32Array;
  /** With rangeCheck: min and max of the split feature over the node's training points (Float32-exact). */
  readonly lo?: Float64Array;
  readonly hi?: Float64Array;
  /**
   * Scoring layout derived from the above (not serialised): `node[i]` = left << 7 | feature, or -1 at a
   * leaf; `vals` = [value, lo, hi] per node (lo/hi = -Inf/+Inf without the range check). Used when the
   * trees are too deep for the complete layout.
   */
  readonly node: Int32Array;
  readonly vals: Float64Array;
  /** The same trees as complete binary trees of one depth (see CompleteLayout), when they are shallow enough. */
  readonly complete?: CompleteLayout;
  /**
   * The shortest path any walk can give, a lower bound for early exits: the smallest leaf value, at most 1
   * (with the range check an exit at the root gives 1).
   */
  readonly minPath: number;
}

/**
 * Every tree padded to a complete binary tree of depth `depth` (the deepest leaf of the forest): node i
 * has children 2i+1 and 2i+2, so a walk is `depth` steps with no leaf test and no child pointers. A leaf
 * above that depth becomes pass-through nodes (split +Inf, range -Inf..+Inf) whose descendants all hold
 * its value, so every walk ends at the same value as on the original tree (scores are identical; pinned
 * in forest.test.ts). Node data is Float32 (all values are Float32-exact already): 255 nodes x 16 bytes
 * + 256 leaves x 4 bytes = 5 KB per tree at psi 256, so a tree stays in L1 while a block of vectors walks it.
 */
export interface CompleteLayout {
  depth: number;
  /** Split feature per internal node, trees x (2^depth - 1). */
  feat: Uint8Array;
  /** [split, lo, hi, 0] per internal node. */
  vals: Float32Array;
  /** Path length at each of the 2^depth leaves of every tree. */
  leaf: Float32Array;
  /** Whether any node has a finite range (otherwise the range test is skipped). */
  ranged: boolean;
}

/** The parts a forest is trained or decoded into; withLayout adds the scoring layout. */
export type ForestParts = Omit<Forest, 'node' | 'vals' | 'complete' | 'minPath'>;

/** The project's seeded PRNG (mulberry32), for sampling and split choice. */
export const rng = seededRandom;

/**
 * Decision threshold for a contamination rate: the (1 - contamination) quantile of the training scores,
 * so about that fraction of training vectors would be flagged (the convention of scikit-learn's
 * IsolationForest `contamination`).
 */
export function thresholdFor(trainingScores: ArrayLike<number>, contamination: number): number {
  const s = Float64Array.from(trainingScores).sort();
  if (s.length === 0) return 1;
  const k = Math.min(s.length - 1, Math.max(0, Math.floor((1 - contamination) * s.length)));
  return s[k];
}

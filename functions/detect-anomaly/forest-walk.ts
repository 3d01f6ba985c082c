// Walks a forest over feature vectors (pure): one vector's path length, and tree-major scoring of many rows
// on the complete layout, the linked layout or the compiled groups (forest-compile.ts); all give
// bit-identical scores. Which walk a caller gets is chosen in forest-scorer.ts.
import { anomalyScore, averagePathLength, type CompleteLayout, type Forest } from './forest.js';
import type { CompiledForest } from './forest-compile.js';

/**
 * Mean path length E(h(x)) of the vector at `offset` in `data`. With the range check, a value outside
 * the node's training range ends the path there at depth + 1; without it lo/hi are -Inf/+Inf.
 */
export function meanPathLength(f: Forest, data: ArrayLike<number>, offset = 0): number {
  const { roots, node, vals } = f;
  let sum = 0;
  for (let t = 0; t < roots.length; t++) sum += pathLength(node, vals, roots[t], data, offset);
  return sum / roots.length;
}
export function pathLength(
  node: Int32Array,
  vals: Float64Array,
  root: number,
  data: ArrayLike<number>,
  off: number,
): number {
  let i = root;
  let q = node[i];
  let depth = 0;
  while (q >= 0) {
    const x = data[off + (q & 127)];
    const j = 3 * i;
    if (x < vals[j + 1] || x > vals[j + 2]) return depth + 1;
    i = x < vals[j] ? q >> 7 : (q >> 7) + 1;
    q = node[i];
    depth++;
  }
  return vals[3 * i];
}

/** Anomaly score in (0, 1] of one vector. */
export function scoreOne(f: Forest, data: ArrayLike<number>, offset = 0): number {
  return anomalyScore(meanPathLength(f, data, offset), f.sampleSize);
}

/**
 * Scores every row of `data` into `out` on the typed-array walk. With `cut`, a row whose path lengths so
 * far already rule out a score >= cut (each remaining tree adds at least `minPath`) stops walking and
 * scores 0: the handler only needs exact scores for rows at or over its threshold (measured: about half
 * the tree walks saved). A forest scored at volume is better served by a compiled scorer (forest-scorer.ts).
 */
export function scoreAll(
  f: Forest,
  data: Float64Array,
  out = new Float64Array(data.length / f.dims),
  cut?: number,
): Float64Array {
  return scoreRows(f, data, out, { cut });
}

/** scoreAll on the compiled groups when `compiled` is given, else on the typed-array walk. */
export function scoreRows(
  f: Forest,
  data: Float64Array,
  out: Float64Array,
  how: { cut?: number; compiled?: CompiledForest },
): Float64Array {
  const { cut, compiled } = how;
  const cn = averagePathLength(f.sampleSize);
  const { roots, node, vals, dims, complete, minPath } = f;
  const trees = roots.length;
  // score >= cut  <=>  sum of path lengths <= -log2(cut) * c(psi) * trees. Inf = no early exit.
  // (With a hair of slack, so rounding never drops a row that is exactly at the cut.)
  const limit =
    cut !== undefined && cut > 0
      ? -Math.log2(cut) * cn * trees * (1 + 1e-9) + 1e-9
      : Number.POSITIVE_INFINITY;
  // Tree-major over blocks of vectors: one tree's nodes (or one group's code) stay in cache while a block
  // walks them.
  const block = compiled ? COMPILED_BLOCK : SCORE_BLOCK;
  const acc = new Float64Array(block);
  for (let b0 = 0; b0 < out.length; b0 += block) {
    const bn = Math.min(block, out.length - b0);
    acc.fill(0);
    if (compiled) walkCompiled(compiled, trees, data, b0 * dims, bn, dims, acc, limit, minPath);
    else if (complete && (complete.ranged || limit !== Number.POSITIVE_INFINITY)) {
      walkRanged(complete, trees, data, b0 * dims, bn, dims, acc, limit, minPath);
    } else if (complete) walkPlain(complete, trees, data, b0 * dims, bn, dims, acc);
    else {
      for (let t = 0; t < trees; t++) {
        const root = roots[t];
        for (let e = 0, off = b0 * dims; e < bn; e++, off += dims)
          acc[e] += pathLength(node, vals, root, data, off);
      }
    }
    for (let e = 0; e < bn; e++) out[b0 + e] = acc[e] > limit ? 0 : 2 ** (-(acc[e] / trees) / cn);
  }
  return out;
}

/**
 * The compiled groups over a block, group-major. With a finite `limit`, rows that cannot get back under
 * it before a group (each remaining tree adds at least `minPath`) stop, as in walkRanged; a row that would
 * have stopped inside a group ends over the limit anyway, so the scores are the same.
 */
function walkCompiled(
  c: CompiledForest,
  trees: number,
  data: Float64Array,
  off0: number,
  bn: number,
  dims: number,
  acc: Float64Array,
  limit: number,
  minPath: number,
): void {
  const { groups, firstTree } = c;
  for (let g = 0; g < groups.length; g++) {
    const fn = groups[g];
    if (limit === Number.POSITIVE_INFINITY) {
      for (let e = 0, off = off0; e < bn; e++, off += dims) acc[e] = fn(data, off, acc[e]);
      continue;
    }
    const stop = limit - (trees - firstTree[g]) * minPath;
    let alive = 0;
    for (let e = 0, off = off0; e < bn; e++, off += dims) {
      if (acc[e] > stop) {
        acc[e] = Number.POSITIVE_INFINITY;
        continue;
      }
      alive++;
      acc[e] = fn(data, off, acc[e]);
    }
    if (alive === 0) return;
  }
}

/**
 * Sums path lengths over all trees for `bn` vectors from `off0`, with the range check; with a finite
 * `limit`, rows whose sum plus `minPath` per remaining tree already exceeds it stop (Inf = every row walks
 * every tree; the skip test then costs one comparison per row and tree: bench array walk 257-262k vs
 * 265-269k events/s for a separate copy of the loop without it, kept as one loop since this is the fallback). (Tried and dropped, measured on this box: four vectors in lockstep, and a branch-free walk on
 * integer keys of the Float32 values; both 20-25% slower than this plain loop under V8 11.)
 */
function walkRanged(
  c: CompleteLayout,
  trees: number,
  data: Float64Array,
  off0: number,
  bn: number,
  dims: number,
  acc: Float64Array,
  limit: number,
  minPath: number,
): void {
  const { depth, feat, vals, leaf } = c;
  const inner = (1 << depth) - 1;
  for (let t = 0; t < trees; t++) {
    const nb = t * inner;
    const lb = t * (inner + 1) - inner;
    // Rows with acc > stop cannot get back under the limit with the trees left.
    const stop = limit - (trees - t) * minPath;
    let alive = 0;
    for (let e = 0, off = off0; e < bn; e++, off += dims) {
      if (acc[e] > stop) {
        acc[e] = Number.POSITIVE_INFINITY;
        continue;
      }
      alive++;
      let i = 0;
      let d = 0;
      for (; d < depth; d++) {
        const n = nb + i;
        const x = data[off + feat[n]];
        const j = n << 2;
        // lo <= split <= hi: a value going left can only be below lo, one going right only above hi.
        if (x < vals[j]) {
          if (x < vals[j + 1]) break;
          i = 2 * i + 1;
        } else {
          if (x > vals[j + 2]) break;
          i = 2 * i + 2;
        }
      }
      acc[e] += d < depth ? d + 1 : leaf[lb + i];
    }
    if (alive === 0) return;
  }
}

/** The same walk without the range check: exactly `depth` steps per tree. */
function walkPlain(
  c: CompleteLayout,
  trees: number,
  data: Float64Array,
  off0: number,
  bn: number,
  dims: number,
  acc: Float64Array,
): void {
  const { depth, feat, vals, leaf } = c;
  const inner = (1 << depth) - 1;
  for (let t = 0; t < trees; t++) {
    const nb = t * inner;
    const lb = t * (inner + 1) - inner;
    for (let e = 0, off = off0; e < bn; e++, off += dims) {
      let i = 0;
      for (let d = 0; d < depth; d++) {
        const n = nb + i;
        i = 2 * i + (data[off + feat[n]] < vals[n << 2] ? 1 : 2);
      }
      acc[e] += leaf[lb + i];
    }
  }
}

const SCORE_BLOCK = 128;
/** For the compiled groups, fewer switches between their (large) code: measured ~10% over 1,024 rows. */
const COMPILED_BLOCK = 4096;

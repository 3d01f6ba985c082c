// Isolation Forest training (Liu, Ting and Zhou, ICDM 2008): random subsamples, random splits between
// the subsample's min and max, grown to the height limit ceil(log2(psi)). Pure and deterministic for a seed.
import { averagePathLength, type Forest, type ForestOptions, rng } from './forest.js';
import { withLayout } from './forest-layout.js';

/** Trains on `rows` vectors of `dims` features laid out row-major in `data`. */
export function trainForest(data: Float64Array, dims: number, opts: ForestOptions = {}): Forest {
  const n = Math.floor(data.length / dims);
  if (n < 2) throw new Error('trainForest: need at least 2 rows');
  if (dims < 1 || dims > 127) throw new Error('trainForest: dims must be in [1, 127]');
  const trees = opts.trees ?? 100;
  const psi = Math.min(opts.sampleSize ?? 256, n);
  const maxNodes = trees * (2 * psi - 1);
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const g: Grower = {
    data,
    dims,
    n,
    psi,
    // Height limit l = ceil(log2 psi) (paper section 3): only points shorter than average matter.
    limit: Math.ceil(Math.log2(psi)),
    rand: rng(opts.seed ?? 1),
    feat: new Int8Array(maxNodes),
    value: new Float64Array(maxNodes),
    left: new Uint32Array(maxNodes),
    rangeLo: opts.rangeCheck ? new Float64Array(maxNodes) : undefined,
    rangeHi: opts.rangeCheck ? new Float64Array(maxNodes) : undefined,
    all,
    idx: new Uint32Array(psi),
    // Work stack of (node, lo, hi, depth).
    stack: new Int32Array(4 * (2 * psi)),
    used: 0,
    mm: new Float64Array(2),
  };
  const roots = new Uint32Array(trees);
  // One call per tree: a process trains a few models in its life, so this code runs mostly cold. As one
  // function over all trees it stayed slow for the first 2-3 models (OSR; ~40 ms per 100 trees vs 8 ms
  // optimised); called per tree, V8 optimises it within the first model.
  for (let t = 0; t < trees; t++) roots[t] = growTree(g);
  const { feat, value, left, rangeLo, rangeHi, used } = g;
  return withLayout({
    dims,
    sampleSize: psi,
    roots,
    feat: feat.slice(0, used),
    value: value.slice(0, used),
    left: left.slice(0, used),
    ...(rangeLo && rangeHi ? { lo: rangeLo.slice(0, used), hi: rangeHi.slice(0, used) } : {}),
  });
}

/** Training state shared by the trees of one forest. */
interface Grower {
  data: Float64Array;
  dims: number;
  n: number;
  psi: number;
  limit: number;
  rand: () => number;
  feat: Int8Array;
  value: Float64Array;
  left: Uint32Array;
  rangeLo: Float64Array | undefined;
  rangeHi: Float64Array | undefined;
  all: Uint32Array;
  idx: Uint32Array;
  stack: Int32Array;
  /** Nodes used so far (all trees). */
  used: number;
  /** columnRange's result: min, max. */
  mm: Float64Array;
}

/** Min and max of feature f over rows idx[lo..hi) into mm (its own function: see trainForest). */
function columnRange(
  data: Float64Array,
  idx: Uint32Array,
  lo: number,
  hi: number,
  dims: number,
  f: number,
  mm: Float64Array,
): void {
  let min = Infinity;
  let max = -Infinity;
  for (let i = lo; i < hi; i++) {
    const v = data[idx[i] * dims + f];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  mm[0] = min;
  mm[1] = max;
}

/** Partitions idx[lo..hi) so rows with feature q < split come first; returns where the rest start. */
function partition(
  data: Float64Array,
  idx: Uint32Array,
  lo: number,
  hi: number,
  dims: number,
  q: number,
  split: number,
): number {
  let i = lo;
  let j = hi - 1;
  while (i <= j) {
    if (data[idx[i] * dims + q] < split) i++;
    else {
      const tmp = idx[i];
      idx[i] = idx[j];
      idx[j] = tmp;
      j--;
    }
  }
  return i;
}

/** Grows the next tree (nodes from g.used on); returns its root. */
function growTree(g: Grower): number {
  const { data, dims, n, psi, limit, rand, feat, value, left, rangeLo, rangeHi, all, idx, stack, mm } = g;
  let used = g.used;
  // Sample psi rows without replacement (partial Fisher-Yates over `all`).
  for (let i = 0; i < psi; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const tmp = all[i];
    all[i] = all[j];
    all[j] = tmp;
    idx[i] = all[i];
  }
  const root = used;
  let sp = 0;
  stack[sp++] = used++;
  stack[sp++] = 0;
  stack[sp++] = psi;
  stack[sp++] = 0;
  while (sp > 0) {
    const depth = stack[--sp];
    const hi = stack[--sp];
    const lo = stack[--sp];
    const node = stack[--sp];
    const size = hi - lo;
    let q = -1;
    let split = 0;
    let qmin = 0;
    let qmax = 0;
    if (depth < limit && size > 1) {
      // Pick a random feature that still varies here; try each at most once from a random start.
      const start = Math.floor(rand() * dims);
      for (let k = 0; k < dims && q < 0; k++) {
        const f = (start + k) % dims;
        columnRange(data, idx, lo, hi, dims, f, mm);
        const min = mm[0];
        const max = mm[1];
        if (max > min) {
          split = Math.fround(min + rand() * (max - min));
          // Float32 rounding may land on min; the split must leave points on both sides.
          if (split <= min) split = Math.fround(max);
          q = f;
          qmin = min;
          qmax = max;
        }
      }
    }
    if (q < 0) {
      feat[node] = -1;
      value[node] = Math.fround(depth + averagePathLength(size));
      continue;
    }
    const i = partition(data, idx, lo, hi, dims, q, split);
    feat[node] = q;
    value[node] = split;
    if (rangeLo && rangeHi) {
      // Rounded outwards to Float32 so a training point is never outside its own node's range.
      rangeLo[node] = f32Down(qmin);
      rangeHi[node] = f32Up(qmax);
    }
    const l = used;
    used += 2;
    left[node] = l;
    stack[sp++] = l + 1;
    stack[sp++] = i;
    stack[sp++] = hi;
    stack[sp++] = depth + 1;
    stack[sp++] = l;
    stack[sp++] = lo;
    stack[sp++] = i;
    stack[sp++] = depth + 1;
  }
  g.used = used;
  return root;
}

function f32Down(x: number): number {
  const f = Math.fround(x);
  return f <= x ? f : Math.fround(x - Math.abs(x) * 2 ** -23 - Number.MIN_VALUE);
}

function f32Up(x: number): number {
  const f = Math.fround(x);
  return f >= x ? f : Math.fround(x + Math.abs(x) * 2 ** -23 + Number.MIN_VALUE);
}

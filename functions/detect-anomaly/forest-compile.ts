// Compiles an Isolation Forest into JavaScript: every tree becomes one nested conditional expression with
// its split constants inlined, and a few trees share one generated function that reads the vector's
// features into locals once. V8 turns that into straight-line compares and branches with no loads of node
// data, ~3.5x the array walk of forest-walk.ts (measured, docs/detect-anomaly.md). Pure: no I/O.
//
// Safety: the model comes from the KV store (decodeForest), so its content must never become code. The
// generated text is built only from numbers read out of typed arrays (Float64Array values, printed so they
// round-trip exactly, non-finite ones as arithmetic like `(1/0)`), integer feature indexes checked to lie
// in [0, dims), node depths, and fixed punctuation; no string from the model is ever spliced in. The tree
// links are checked too (children after their parent and inside the arrays, each node reached once), so a
// tampered model cannot make the generator loop or blow up the source size.
import type { ForestParts } from './forest.js';

/**
 * Path-length sum of one group of trees for the vector at `offset` in `data`, added to `sum` tree by tree
 * (((sum + t0) + t1) + ...), the same order of additions as the array walk, so sums are bit-identical.
 */
export type GroupScorer = (data: Float64Array, offset: number, sum: number) => number;

export interface CompiledForest {
  groups: GroupScorer[];
  /** Index of the first tree of each group, plus the tree count at the end (groups.length + 1 entries). */
  firstTree: Uint32Array;
}

/** The model cannot be turned into code (tampered or not a forest this module produced). */
export class ForestCompileError extends Error {
  override name = 'ForestCompileError';
}

/**
 * Characters of generated source per function. Measured (100 trees, psi 256, 9 features, range check):
 * TurboFan optimises functions up to ~10 such trees (~200 KB); one function with 20+ trees falls back to
 * array-walk speed or worse, 50 trees ran at 110k events/s. Grouping by size rather than by tree count
 * keeps a group optimisable when tree sizes vary (small psi, no range check: more trees per group).
 */
export const GROUP_SOURCE_CHARS = 50_000;

/** Deeper than any trained tree (the height limit is ceil(log2 psi) <= 16); guards the recursion. */
const MAX_DEPTH = 64;

/** Generated source of each group function, and where each group starts (pure; exposed for tests). */
export function forestSource(
  p: ForestParts,
  budget = GROUP_SOURCE_CHARS,
): { sources: string[]; firstTree: number[] } {
  const { dims, feat, value, left, lo, hi, roots } = p;
  if (!Number.isInteger(dims) || dims < 1 || dims > 127) throw new ForestCompileError('dims out of range');
  const n = feat.length;
  if (value.length !== n || left.length !== n || (lo && lo.length !== n) || (hi && hi.length !== n))
    throw new ForestCompileError('node arrays differ in length');
  const ranged = !!(lo && hi);
  const seen = new Uint8Array(n);
  const tree = (i: number, d: number): string => {
    if (!Number.isInteger(i) || i < 0 || i >= n || seen[i]) throw new ForestCompileError('bad node link');
    if (d > MAX_DEPTH) throw new ForestCompileError('tree too deep');
    seen[i] = 1;
    const q = feat[i];
    if (q < 0) return num(value[i]);
    if (!Number.isInteger(q) || q >= dims) throw new ForestCompileError('feature index out of range');
    const l = left[i];
    if (l <= i || l + 1 >= n) throw new ForestCompileError('bad node link');
    const x = `x${q}`;
    const L = tree(l, d + 1);
    const R = tree(l + 1, d + 1);
    // lo <= split <= hi (training), so a value going left can only be below lo, one going right only
    // above hi: one range test per step, as in the array walk. NaN compares false: right, no exit.
    if (ranged)
      return `(${x}<${num(value[i])}?(${x}<${num(lo[i])}?${d + 1}:${L}):(${x}>${num(hi[i])}?${d + 1}:${R}))`;
    return `(${x}<${num(value[i])}?${L}:${R})`;
  };
  const decl = Array.from({ length: dims }, (_, k) => `x${k}=d[o+${k}]`).join(',');
  const sources: string[] = [];
  const firstTree: number[] = [];
  let parts: string[] = [];
  let chars = 0;
  const flush = () => {
    sources.push(`const ${decl};return s+${parts.join('\n+')};`);
    parts = [];
    chars = 0;
  };
  for (let t = 0; t < roots.length; t++) {
    const e = tree(roots[t], 0);
    if (parts.length > 0 && chars + e.length > budget) flush();
    if (parts.length === 0) firstTree.push(t);
    parts.push(e);
    chars += e.length;
  }
  if (parts.length > 0) flush();
  firstTree.push(roots.length);
  return { sources, firstTree };
}

/**
 * Compiles the forest. Throws ForestCompileError for a model that fails the checks above, and whatever
 * `new Function` throws where code generation is disallowed (--disallow-code-generation-from-strings, a
 * CSP); the caller falls back to the array walk.
 */
export function compileForest(p: ForestParts, budget = GROUP_SOURCE_CHARS): CompiledForest {
  const { sources, firstTree } = forestSource(p, budget);
  const groups = sources.map((src) => new Function('d', 'o', 's', src) as GroupScorer);
  const c = { groups, firstTree: Uint32Array.from(firstTree) };
  warmUp(p, c);
  return c;
}

/**
 * Runs every comparison of the generated code once, with one vector per leaf that follows the path to
 * that leaf. V8 optimises a comparison by the types it has seen there; one it has never run becomes a
 * deoptimisation point, and with ~50,000 comparisons per model most are rare, so the optimised code was
 * thrown away again and again as new rows reached new branches (measured: 100-800k events/s depending on
 * the run). After this every comparison has seen numbers. Costs ~25,000 calls per 100-tree model.
 */
function warmUp(p: ForestParts, c: CompiledForest): void {
  const { dims, feat, value, left, lo, hi, roots } = p;
  // Per feature, the interval the path so far allows: a <= x, x < b (or <= hi).
  const a = new Float64Array(dims).fill(Number.NEGATIVE_INFINITY);
  const b = new Float64Array(dims).fill(Number.POSITIVE_INFINITY);
  const v = new Float64Array(dims);
  for (let g = 0; g < c.groups.length; g++) {
    const fn = c.groups[g];
    const visit = (i: number): void => {
      if (feat[i] < 0) {
        for (let k = 0; k < dims; k++) v[k] = pick(a[k], b[k]);
        // A non-integer sum, so the additions see doubles (their values later), not small integers.
        fn(v, 0, 0.5);
        return;
      }
      const q = feat[i];
      const sa = a[q];
      const sb = b[q];
      b[q] = Math.min(sb, value[i]);
      if (lo) a[q] = Math.max(sa, lo[i]);
      visit(left[i]);
      a[q] = Math.max(sa, value[i]);
      b[q] = hi ? Math.min(sb, hi[i]) : sb;
      visit(left[i] + 1);
      a[q] = sa;
      b[q] = sb;
    };
    for (let t = c.firstTree[g]; t < c.firstTree[g + 1]; t++) visit(roots[t]);
  }
}

/** A value in [lo, hi) (hi inclusive for a range bound): the lower end when it is finite. */
function pick(lo: number, hi: number): number {
  if (Number.isFinite(lo)) return lo;
  if (Number.isFinite(hi)) return hi - 1 - Math.abs(hi);
  return 0;
}

/**
 * A number as source text that evaluates to exactly the same double: String() is the shortest exact
 * round trip for finite values (-0 kept as -0); non-finite values as arithmetic, so no identifier is
 * involved. Negative values are parenthesised so `x<-1` or `s+-1` never reads as another operator.
 */
function num(v: number): string {
  if (typeof v !== 'number') throw new ForestCompileError('node value is not a number');
  if (Number.isNaN(v)) return '(0/0)';
  if (v === Number.POSITIVE_INFINITY) return '(1/0)';
  if (v === Number.NEGATIVE_INFINITY) return '(-1/0)';
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${String(v)})` : String(v);
}

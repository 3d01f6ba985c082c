// The scoring layout of a trained or decoded forest (pure): node words for the linked walk, and the
// complete-tree form when the trees are shallow enough (forest.ts's CompleteLayout).
import type { CompleteLayout, Forest, ForestParts } from './forest.js';

/** Deeper than this, the padded trees would outgrow the caches (2^depth nodes per tree); use the linked form. */
const MAX_COMPLETE_DEPTH = 10;

export function withLayout(p: ForestParts): Forest {
  // Fields read into locals in this and the layout functions below: they run once per trained model, so
  // mostly unoptimised, where every `p.feat[i]` is a property load (measured: 18 ms of a 100-tree layout
  // per training in the pipeline, forestDepth alone 35 ms cold vs 2 ms with locals).
  const { feat, value, left, lo, hi } = p;
  const n = feat.length;
  const node = new Int32Array(n);
  const vals = new Float64Array(3 * n);
  let minPath = 1;
  for (let i = 0; i < n; i++) {
    if (feat[i] < 0 && value[i] < minPath) minPath = value[i];
    node[i] = feat[i] < 0 ? -1 : (left[i] << 7) | feat[i];
    vals[3 * i] = value[i];
    vals[3 * i + 1] = lo ? lo[i] : -INF;
    vals[3 * i + 2] = hi ? hi[i] : INF;
  }
  const complete = completeLayout(p);
  return { ...p, node, vals, minPath: Math.max(0, minPath), ...(complete ? { complete } : {}) };
}

const INF = Number.POSITIVE_INFINITY;

/** Deepest leaf of the forest (stack of node, depth pairs in one typed array). */
function forestDepth(p: ForestParts, stack: Int32Array): number {
  const { feat, left, roots } = p;
  let max = 0;
  for (let t = 0; t < roots.length; t++) {
    let sp = 0;
    stack[sp++] = roots[t];
    stack[sp++] = 0;
    while (sp > 0) {
      const d = stack[--sp];
      const i = stack[--sp];
      if (feat[i] < 0) {
        if (d > max) max = d;
      } else {
        stack[sp++] = left[i];
        stack[sp++] = d + 1;
        stack[sp++] = left[i] + 1;
        stack[sp++] = d + 1;
      }
    }
  }
  return max;
}

function completeLayout(p: ForestParts): CompleteLayout | undefined {
  // A DFS stack never holds more entries than there are nodes (x3 for node, index, depth).
  const stack = new Int32Array(3 * p.feat.length + 3);
  const depth = forestDepth(p, stack);
  if (depth > MAX_COMPLETE_DEPTH) return undefined;
  const inner = (1 << depth) - 1;
  const trees = p.roots.length;
  const feat = new Uint8Array(trees * inner);
  const vals = new Float32Array(trees * inner * 4);
  const leaf = new Float32Array(trees * (inner + 1));
  const { lo, hi, roots } = p;
  const pFeat = p.feat;
  const pValue = p.value;
  const pLeft = p.left;
  let ranged = false;
  for (let t = 0; t < trees; t++) {
    const nb = t * inner;
    const lb = t * (inner + 1) - inner;
    // (original node, complete index, depth)
    let sp = 0;
    stack[sp++] = roots[t];
    stack[sp++] = 0;
    stack[sp++] = 0;
    while (sp > 0) {
      const d = stack[--sp];
      const ci = stack[--sp];
      const i = stack[--sp];
      if (pFeat[i] < 0) {
        // A leaf above the full depth: pass-through nodes below it (split +Inf, no range), one contiguous
        // run of complete indices per level, and its value on every leaf they reach.
        for (let l = 0; l < depth - d; l++) {
          const from = ((ci + 1) << l) - 1;
          for (let c = from; c < from + (1 << l); c++) {
            const j = 4 * (nb + c);
            vals[j] = INF;
            vals[j + 1] = -INF;
            vals[j + 2] = INF;
          }
        }
        const from = lb + ((ci + 1) << (depth - d)) - 1;
        leaf.fill(pValue[i], from, from + (1 << (depth - d)));
        continue;
      }
      const j = 4 * (nb + ci);
      feat[nb + ci] = pFeat[i];
      vals[j] = pValue[i];
      vals[j + 1] = lo ? lo[i] : -INF;
      vals[j + 2] = hi ? hi[i] : INF;
      if (lo && hi) ranged = true;
      stack[sp++] = pLeft[i];
      stack[sp++] = 2 * ci + 1;
      stack[sp++] = d + 1;
      stack[sp++] = pLeft[i] + 1;
      stack[sp++] = 2 * ci + 2;
      stack[sp++] = d + 1;
    }
  }
  return { depth, feat, vals, leaf, ranged };
}

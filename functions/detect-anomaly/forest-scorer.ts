// How a forest is scored, chosen by its owner: the compiled groups now, or the typed-array walk until the
// forest has scored enough rows to pay for compiling (the walk alone: forest-walk.ts's scoreAll). State
// lives in the scorer the caller holds (a loaded model keeps its own), never in a module-level cache.
// Pure: no I/O.
import type { Forest } from './forest.js';
import { type CompiledForest, compileForest } from './forest-compile.js';
import { scoreRows } from './forest-walk.js';

export interface ForestScorer {
  /** Scores every row of `data` into `out`; with `cut`, rows that cannot reach it score 0 (forest-walk.ts). */
  score(data: Float64Array, out?: Float64Array, cut?: number): Float64Array;
}

const rowsOf = (f: Forest, data: Float64Array) => new Float64Array(data.length / f.dims);

/** The compiled forest, or undefined where code generation is disallowed or the model fails its checks. */
function tryCompile(f: Forest): CompiledForest | undefined {
  try {
    return compileForest(f);
  } catch {
    // A model that fails the compiler's checks, or no code generation here: the array walk scores it.
    return undefined;
  }
}

/**
 * Compiled now (a caller that knows it will score a lot, the bench); undefined where it cannot be
 * compiled, so the caller falls back to the array walk (scoreAll) knowingly.
 */
export function compiledScorer(f: Forest): ForestScorer | undefined {
  const compiled = tryCompile(f);
  if (!compiled) return undefined;
  return { score: (data, out = rowsOf(f, data), cut) => scoreRows(f, data, out, { cut, compiled }) };
}

/**
 * When to compile. For 100 trees at psi 256, compiling and warming up takes ~35 ms, V8 then spends ~1 s
 * of its background compiler thread optimising the generated functions, and rows run slower than on the
 * array walk until it is done (the first ~20,000: ~150 ms lost); after that a row costs ~1.2 us instead of
 * ~3.7 us. So the main thread gets its cost back after roughly 50,000-70,000 rows. One-off scoring stays
 * on the array walk (fit.ts scores at most 2 x 4,096 training rows of a fresh forest; a quiet source's
 * model scores ~100 rows a batch), and a model the handler keeps scoring at volume is compiled.
 */
export const COMPILE_AFTER_ROWS = 50_000;

/**
 * The array walk until `compileAfterRows` rows were scored (counted before each call), then the compiled
 * groups; a compile that fails is never retried and scoring stays on the walk. Scores are bit-identical
 * either way. A loaded model holds one (fit.ts, model-store.ts), so its count dies with it.
 */
export function adaptiveScorer(f: Forest, compileAfterRows = COMPILE_AFTER_ROWS): ForestScorer {
  let rows = 0;
  /** undefined: not tried yet; null: compiling failed. */
  let compiled: CompiledForest | null | undefined;
  return {
    score(data, out = rowsOf(f, data), cut) {
      if (compiled === undefined) {
        rows += out.length;
        if (rows >= compileAfterRows) compiled = tryCompile(f) ?? null;
      }
      return scoreRows(f, data, out, { cut, compiled: compiled ?? undefined });
    },
  };
}

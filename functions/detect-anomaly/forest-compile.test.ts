import { describe, expect, it } from 'vitest';
import { type Forest, type ForestParts, rng } from './forest.js';
import { decodeForest, encodeForest } from './forest-codec.js';
import { compileForest, ForestCompileError, forestSource } from './forest-compile.js';
import { withLayout } from './forest-layout.js';
import { adaptiveScorer, compiledScorer } from './forest-scorer.js';
import { trainForest } from './forest-train.js';
import { scoreAll } from './forest-walk.js';

/** `n` rows of `dims` features: clustered values, a few wide ones, some repeated integers. */
function dataset(n: number, dims: number, seed: number): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n * dims);
  for (let i = 0; i < out.length; i++) {
    const k = i % dims;
    out[i] = k % 3 === 0 ? Math.floor(r() * 5) : k % 3 === 1 ? r() * 100 - 50 : (r() - 0.5) ** 3 * 1e6;
  }
  return out;
}

/** Probe rows: the data, plus rows with NaN, +-Infinity, -0 and huge values in every position. */
function probes(data: Float64Array, dims: number): Float64Array {
  const odd = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e300, -1e300, 5e-324];
  const extra: number[] = [];
  for (const v of odd) {
    for (let k = 0; k < dims; k++) {
      for (let j = 0; j < dims; j++) extra.push(j === k ? v : data[j]);
    }
    for (let j = 0; j < dims; j++) extra.push(v);
  }
  return Float64Array.from([...data, ...extra]);
}

/** The forest compiled now; fails the test where it cannot be. */
function compiled(f: Forest) {
  const s = compiledScorer(f);
  expect(s).toBeDefined();
  return s!;
}

function same(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect([i, a[i]]).toEqual([i, b[i]]);
}

const cases = [
  { name: 'psi 256, 9 dims', dims: 9, sampleSize: 256, trees: 100, rows: 3000 },
  { name: 'psi 16, 9 dims', dims: 9, sampleSize: 16, trees: 60, rows: 500 },
  { name: 'psi 256, 1 dim', dims: 1, sampleSize: 256, trees: 40, rows: 2000 },
  { name: 'psi 64, 12 dims', dims: 12, sampleSize: 64, trees: 30, rows: 800 },
  // Depth 12: too deep for the complete layout, so the reference is the linked walk.
  { name: 'psi 4096 (linked layout), 3 dims', dims: 3, sampleSize: 4096, trees: 6, rows: 5000 },
];

describe('compiled forest scores exactly like the array walk', () => {
  for (const c of cases) {
    for (const rangeCheck of [true, false]) {
      it(`${c.name}, range check ${rangeCheck}`, () => {
        const data = dataset(c.rows, c.dims, c.rows + c.dims);
        const f = trainForest(data, c.dims, { ...c, seed: 9, rangeCheck });
        if (c.sampleSize === 4096) expect(f.complete).toBeUndefined();
        const p = probes(data, c.dims);
        same(compiled(f).score(p), scoreAll(f, p));
        // A decoded model (Float32 storage) too.
        const back = decodeForest(encodeForest(f));
        same(compiled(back).score(p), scoreAll(f, p));
      });
      it(`${c.name}, range check ${rangeCheck}: the same with a cut`, () => {
        const data = dataset(c.rows, c.dims, c.rows + c.dims + 1);
        const f = trainForest(data, c.dims, { ...c, seed: 11, rangeCheck });
        const p = probes(data, c.dims);
        const scorer = compiled(f);
        const exact = scoreAll(f, p);
        for (const cut of [0.45, 0.5, 0.55, 0.6, 0.7, 0.9]) {
          const fast = scorer.score(p, undefined, cut);
          same(fast, scoreAll(f, p, undefined, cut));
          for (let i = 0; i < exact.length; i++) {
            if (exact[i] >= cut) expect(fast[i]).toBe(exact[i]);
            else expect(fast[i] === 0 || fast[i] === exact[i]).toBe(true);
          }
        }
      });
    }
  }

  it('groups trees by source size, every tree exactly once', () => {
    const data = dataset(3000, 9, 1);
    const f = trainForest(data, 9, { trees: 100, seed: 2, rangeCheck: true });
    const { sources, firstTree } = forestSource(f, 50_000);
    expect(sources.length).toBeGreaterThan(2);
    expect(firstTree[0]).toBe(0);
    expect(firstTree[firstTree.length - 1]).toBe(100);
    for (let g = 0; g < sources.length; g++) expect(firstTree[g + 1]).toBeGreaterThan(firstTree[g]);
    // A group overshoots the budget only when one tree alone is bigger than it.
    for (const s of sources) expect(s.length).toBeLessThan(50_000 + 1_000);
    // One tree per group still scores the same.
    const one = compileForest(f, 1);
    expect(one.groups.length).toBe(100);
  });

  it('the adaptive scorer compiles on its own once it has scored enough rows', () => {
    const data = dataset(60_000, 2, 3);
    const f = trainForest(data, 2, { trees: 20, seed: 4, rangeCheck: true });
    const ref = scoreAll(f, data);
    const s = adaptiveScorer(f);
    same(s.score(data), ref);
    same(s.score(data), ref);
  });
});

describe('code generation is safe against a tampered model', () => {
  const data = dataset(1000, 4, 5);
  const good = trainForest(data, 4, { trees: 10, sampleSize: 64, seed: 6, rangeCheck: true });
  const parts = (): ForestParts => ({
    dims: good.dims,
    sampleSize: good.sampleSize,
    roots: good.roots.slice(),
    feat: good.feat.slice(),
    value: good.value.slice(),
    left: good.left.slice(),
    lo: good.lo?.slice(),
    hi: good.hi?.slice(),
  });
  const internal = good.feat.findIndex((q) => q >= 0);

  it('emits nothing but numbers, x<k> locals, d, o, s and fixed punctuation', () => {
    for (const src of forestSource(good).sources) {
      const words = src.match(/[A-Za-z_$][\w$]*/g) ?? [];
      for (const w of words) expect(w).toMatch(/^(const|return|d|o|s|x\d+|e)$/);
      expect(/^[\w.+\-<>?:()=,;\n [\]/]*$/.test(src)).toBe(true);
    }
  });

  it('rejects a feature index out of range, and scoring falls back to the array walk', () => {
    const p = parts();
    p.feat[internal] = 4; // dims is 4
    expect(() => compileForest(p)).toThrow(ForestCompileError);
    expect(() => forestSource(p)).toThrow(/feature index/);
    // Nothing else guards scoring here (decodeForest would reject it): the compile failure falls back.
    const p2 = parts();
    p2.feat[internal] = 3;
    const f = withLayout(p2);
    expect(compiledScorer(f)).toBeDefined();
    const bad = withLayout({ ...p2, dims: 3 });
    expect(compiledScorer(bad)).toBeUndefined();
    const rows = data.subarray(0, 600);
    same(adaptiveScorer(bad, 0).score(rows), scoreAll(bad, rows));
  });

  it('prints NaN and infinite splits as arithmetic, not identifiers', () => {
    const p = parts();
    p.value[internal] = Number.NaN;
    p.lo![internal] = Number.NEGATIVE_INFINITY;
    p.hi![internal] = Number.POSITIVE_INFINITY;
    const src = forestSource(p).sources.join('');
    expect(src).toContain('(0/0)');
    expect(src).toContain('(-1/0)');
    expect(src).toContain('(1/0)');
    expect(src).not.toMatch(/NaN|Infinity/);
    const f = withLayout(p);
    same(compiled(f).score(data), scoreAll(f, data));
  });

  it('rejects broken links (cycles, shared nodes, out of the arrays) instead of looping', () => {
    const p = parts();
    p.left[internal] = internal; // a child that is its own parent
    expect(() => forestSource(p)).toThrow(/link/);
    const q = parts();
    q.roots[1] = q.roots[0]; // two trees sharing nodes
    expect(() => forestSource(q)).toThrow(/link/);
    const r = parts();
    r.roots[0] = r.feat.length + 5;
    expect(() => forestSource(r)).toThrow(/link/);
  });

  it('rejects values that are not numbers (a plain array smuggled in as Float64Array)', () => {
    const p = parts();
    const leaf = p.feat.findIndex((q) => q < 0);
    const value = Array.from(p.value) as unknown[];
    value[leaf] = 'process.exit(1)';
    expect(() => forestSource({ ...p, value: value as unknown as Float64Array })).toThrow(ForestCompileError);
  });
});

// Seeded pseudo-random numbers and the distributions the simulator draws from. sfc32 (PractRand-clean,
// a few ns per draw) keeps the generator above 200k lines/s; Math.random would break determinism.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = Number.NaN;

  constructor(seed: number) {
    // splitmix32 spreads a small integer seed over the 128-bit state.
    let s = seed >>> 0;
    const mix = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box-Muller, second value cached). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = Number.NaN;
      return v;
    }
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean: Poisson-process inter-arrival times. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /**
   * Heavy-tailed latency: lognormal body around `median` plus a 2% Pareto (alpha 1.5) tail, the
   * shape measured web latencies have (a few requests 10x-100x slower than the median).
   */
  latency(median: number, sigma: number): number {
    let x = median * Math.exp(sigma * this.normal());
    if (this.next() < 0.02) x *= (1 - this.next()) ** (-1 / 1.5);
    return x;
  }

  /** Weighted choice: `cumulative` is a running sum of weights ending at 1. */
  weighted(cumulative: readonly number[]): number {
    const x = this.next();
    for (let i = 0; i < cumulative.length; i++) if (x < cumulative[i]) return i;
    return cumulative.length - 1;
  }
}

/** Running sums of weights normalised to 1, for Rng.weighted. */
export function cumulative(weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  let run = 0;
  return weights.map((w) => (run += w / total));
}

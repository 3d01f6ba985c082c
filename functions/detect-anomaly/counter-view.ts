// Read-only view of a source's stored counters plus a batch's deltas, memoised per key (pure).
import type { SourceCounters, WindowCount } from './counters.js';

/** A template's counters as the batch sees them (stored + this batch). */
export interface TemplateStats {
  n: number;
  /** Means of log2(len + 1) of the message and of the longest parameter (0 when unknown). */
  ml: number;
  pl: number;
}

/** An endpoint's or template's log-latency: count, mean, spread, and the geometric-mean latency. */
export interface LatencyStats {
  n: number;
  mean: number;
  sd: number;
  usual: number;
}

/**
 * Read-only view of base + delta counters. Every lookup is memoised per key: a batch asks about the
 * same few templates, endpoints and windows hundreds of times (measured: the string-keyed lookups were
 * the largest cost of scoring a batch).
 */
export class CounterView {
  constructor(
    private readonly base: SourceCounters,
    private readonly delta: SourceCounters,
    private readonly history: number,
  ) {}
  private readonly tplMemo = new Map<string, TemplateStats>();
  private readonly epMemo = new Map<string, number>();
  // Memos hold null for "none", so a hit is one lookup (has + get was two, on every event).
  private readonly latMemo = new Map<string, LatencyStats | null>();
  private readonly winMemo = new Map<number, WindowCount>();
  private readonly firstMemo = new Map<string, number | null>();
  private totalMemo = -1;
  get(f: string): number {
    return (this.base.stats.get(f) ?? 0) + (this.delta.stats.get(f) ?? 0);
  }
  /** A value field (mean or latency count): this batch's value, else the stored one. */
  private value(f: string): number | undefined {
    return this.delta.sets?.get(f) ?? this.base.stats.get(f);
  }
  /** A running mean, or an older store's sum / count (see SourceCounters). */
  private mean(f: string, legacySum: string, count: number): number | undefined {
    const m = this.value(f);
    if (m !== undefined) return m;
    const sum = this.base.stats.get(legacySum);
    return sum !== undefined && count > 0 ? sum / count : undefined;
  }
  /** Events of the source so far (`_n`). */
  total(): number {
    if (this.totalMemo < 0) this.totalMemo = this.get('_n');
    return this.totalMemo;
  }
  template(tpl: string): TemplateStats {
    let s = this.tplMemo.get(tpl);
    if (!s) {
      const n = this.get(`t:${tpl}`);
      s = {
        n,
        ml: this.mean(`mm:${tpl}`, `ml:${tpl}`, n) ?? 0,
        pl: this.mean(`pm:${tpl}`, `pl:${tpl}`, n) ?? 0,
      };
      this.tplMemo.set(tpl, s);
    }
    return s;
  }
  /** Events seen on an endpoint (`e:`). */
  endpoint(ep: string): number {
    let n = this.epMemo.get(ep);
    if (n === undefined) {
      n = this.get(`e:${ep}`);
      this.epMemo.set(ep, n);
    }
    return n;
  }
  /** Source event count when `key` (`tpl` or `e:endpoint`) was first seen; undefined if untracked. */
  firstSeen(key: string): number | undefined {
    return this.firstOf(this.firstMemo, 'f:', key);
  }
  /** Event time (epoch ms) of a template's first line (`ft:<tpl>`); undefined if untracked. */
  firstTime(tpl: string): number | undefined {
    return this.firstOf(this.timeMemo, 'ft:', tpl);
  }
  private readonly timeMemo = new Map<string, number | null>();
  /** A set-once field (`prefix + key`), stored or recorded by this batch; the name is built on a miss only. */
  private firstOf(memo: Map<string, number | null>, prefix: string, key: string): number | undefined {
    const got = memo.get(key);
    if (got !== undefined) return got ?? undefined;
    const field = prefix + key;
    const f = this.base.stats.get(field) ?? this.delta.firsts?.get(field);
    memo.set(key, f ?? null);
    return f;
  }
  /** firstSeen of an endpoint (`e:<endpoint>`). */
  endpointFirstSeen(ep: string): number | undefined {
    const got = this.epFirstMemo.get(ep);
    if (got !== undefined) return got ?? undefined;
    const f = this.firstSeen(`e:${ep}`);
    this.epFirstMemo.set(ep, f ?? null);
    return f;
  }
  private readonly epFirstMemo = new Map<string, number | null>();
  window(b: number): WindowCount {
    let w = this.winMemo.get(b);
    if (!w) {
      const x = this.base.windows.get(b);
      const y = this.delta.windows.get(b);
      w = { n: (x?.n ?? 0) + (y?.n ?? 0), err: (x?.err ?? 0) + (y?.err ?? 0) };
      this.winMemo.set(b, w);
    }
    return w;
  }
  /** Median events per window over the non-empty previous windows; undefined with fewer than 3. */
  usualRate(b: number): number | undefined {
    const got = this.rates.get(b);
    if (got !== undefined) return got ?? undefined;
    const r = this.computeUsualRate(b);
    this.rates.set(b, r ?? null);
    return r;
  }
  /** Per-bucket cache: every event of a window asks for the same baseline. */
  private readonly rates = new Map<number, number | null>();
  private computeUsualRate(b: number): number | undefined {
    const ns: number[] = [];
    for (let i = 1; i <= this.history; i++) {
      const n = this.window(b - i).n;
      if (n > 0) ns.push(n);
    }
    if (ns.length < 3) return undefined;
    ns.sort((x, y) => x - y);
    return ns[ns.length >> 1];
  }
  /** Mean and standard deviation of log2(latency + 1) for a key, when at least 5 observations exist. */
  latencyLog(key: string): LatencyStats | undefined {
    const got = this.latMemo.get(key);
    if (got !== undefined) return got ?? undefined;
    const n = this.value(`ln:${key}`) ?? 0;
    let s: LatencyStats | undefined;
    const mean = this.mean(`lm:${key}`, `ls:${key}`, n);
    const sq = this.mean(`lv:${key}`, `lq:${key}`, n);
    if (n >= 5 && mean !== undefined && sq !== undefined) {
      const sd = Math.sqrt(Math.max(0, sq - mean * mean));
      s = { n, mean, sd, usual: 2 ** mean - 1 };
    }
    this.latMemo.set(key, s ?? null);
    return s;
  }
  /** Geometric-mean latency (~p50 of a log-normal) for a key, when at least 5 observations exist. */
  usualLatency(key: string): number | undefined {
    return this.latencyLog(key)?.usual;
  }
}

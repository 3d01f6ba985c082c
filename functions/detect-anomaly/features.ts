// Per-event feature vectors (pure). Each feature, and why, is in docs/detect-anomaly.md. Counters come
// from the store (per source) plus this batch's own contributions, so a batch sees itself.
import { endpointOf } from '../../core/endpoint.js';
import type { Level, LogEvent } from '../../core/event.js';
import { parseEventTime } from '../../core/event-time.js';

export { endpointOf };

export const FEATURE_NAMES = [
  'latency',
  'status',
  'level',
  'template_rarity',
  'endpoint_rarity',
  'param_length',
  'message_length',
  'error_burst',
  'event_rate',
] as const;
export const DIMS = FEATURE_NAMES.length;
export const F = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<
  (typeof FEATURE_NAMES)[number],
  number
>;

const SEVERITY: Record<Level, number> = { trace: 0, debug: 0, info: 1, warn: 2, error: 3, fatal: 4 };

export interface WindowCount {
  n: number;
  err: number;
}

/** What one event contributes and is compared on; computed once per event. */
export interface EventKeys {
  tpl: string;
  endpoint?: string;
  /** Norm key for latency: the endpoint when there is one, else the template. */
  latKey: string;
  latency?: number;
  status?: number;
  severity: number;
  isError: boolean;
  bucket: number;
  /** Event time (epoch ms), or the receive time when the event had none. */
  ts: number;
  /** Events per window of the source at this event's time (rateSoFar); set by the caller. */
  rate: number;
  /** How many events that rate was measured on. */
  rateCount: number;
  /** Errors its template (5xx its endpoint) showed before this event; set by the caller (markPriorErrors). */
  priorErrors?: number;
  priorEndpointErrors?: number;
  /** In its endpoint's latency tail, and the tail requests the endpoint had before (markLatencyTails). */
  latTail?: boolean;
  priorTails?: number;
  /** Lines of its template (requests of its endpoint, lines of its source) before this event. */
  priorLines?: number;
  priorEndpointLines?: number;
  priorSourceErrors?: number;
  priorSourceLines?: number;
  /** Set when this batch's latencies for latKey sit significantly above its baseline (a sustained shift). */
  latShift?: { ratio: number; n: number };
  msgLen: number;
  paramMax: number;
  paramLongest?: string;
}

export interface FeatureOptions {
  windowMs: number;
  windowHistory: number;
  maxTracked: number;
}

/**
 * Counters of one source: stored fields and windows. Counts (`_n`, `t:<tpl>`, `e:<endpoint>`) are exact
 * increments; running means (`mm:`/`pm:` log message and longest-parameter length per template, `lm:`/`lv:`
 * log latency and its square per latKey, with their count `ln:`) are written as values, all in one HSET
 * per batch (they were 4-5 HINCRBYFLOATs per template/endpoint: ~80 of a batch's ~130 norm writes).
 * Older stores hold sums (`ml:`, `pl:`, `ls:`, `lq:`); they are read as means until the first write.
 */
export interface SourceCounters {
  stats: Map<string, number>;
  /** Fields this batch sets to a value (means and latency counts), see above. */
  sets?: Map<string, number>;
  windows: Map<number, WindowCount>;
  /** `f:<tpl>` / `f:e:<endpoint>`: the source's event count when first seen (written once, hsetnx). */
  firsts?: Map<string, number>;
  /** Text fields: the count baselines' packed state per key (`c:<key>`, baseline.ts), as read or set. */
  packed?: Map<string, string>;
}

export function emptyCounters(): SourceCounters {
  return { stats: new Map(), windows: new Map() };
}

/**
 * endpointOf memoised per method and path, for one batch (the map dies with it, so it needs no bound): a
 * batch repeats a few routes, and each event's endpoint was a new string to build, then to flatten and
 * hash in every Map it keys (measured ~100 ns of keysOf's ~360 per event). Same strings, one object each.
 */
export function endpointMemo(): (method: string | undefined, path: string | undefined) => string | undefined {
  const byMethod = new Map<string | undefined, Map<string | undefined, string | undefined>>();
  return (method, path) => {
    let byPath = byMethod.get(method);
    if (!byPath) byMethod.set(method, (byPath = new Map()));
    let ep = byPath.get(path);
    if (ep === undefined && !byPath.has(path)) byPath.set(path, (ep = endpointOf(method, path)));
    return ep;
  };
}

/**
 * `parsedTs`: the event's timestamp already parsed (parseBody does it once), to skip a second Date.parse.
 * `endpoints`: an endpointMemo() for the batch.
 */
export function keysOf(
  e: LogEvent,
  windowMs: number,
  now: number,
  parsedTs?: number,
  endpoints: typeof endpointOf = endpointOf,
): EventKeys {
  const h = e.http;
  const endpoint = h ? endpoints(h.method, h.path) : undefined;
  const tpl = e.templateId || e.template;
  let paramMax = 0;
  let paramLongest: string | undefined;
  for (const p of e.params) {
    if (p.length > paramMax) {
      paramMax = p.length;
      paramLongest = p;
    }
  }
  const status = h?.status;
  const ts = parsedTs ?? parseEventTime(e.timestamp);
  return {
    tpl,
    endpoint,
    latKey: endpoint ?? tpl,
    latency: h?.latency_ms,
    status,
    severity: SEVERITY[e.level] ?? 1,
    isError: e.level === 'error' || e.level === 'fatal' || (status !== undefined && status >= 500),
    bucket: Math.floor((Number.isFinite(ts) ? ts : now) / windowMs),
    ts: Number.isFinite(ts) ? ts : now,
    rate: 0,
    rateCount: 0,
    msgLen: e.message.length,
    paramMax,
    paramLongest,
  };
}

const lg = (x: number) => Math.log2(x + 1);

interface KeyAgg {
  n: number;
  /** Sums of log2(len + 1) of message and longest parameter (templates), or of latency and its square. */
  a: number;
  b: number;
  /** Source event count when first seen in this batch. */
  first: number;
  /** Errors (templates: error/fatal level or 5xx; endpoints: 5xx). */
  x: number;
}

/**
 * Means follow the last ~10,000 observations of a key: below that they are the exact cumulative means,
 * beyond it an exponentially weighted mean with that horizon, so a baseline follows slow change and a
 * 100-request spike moves it by 1% of its size. Written as values, a concurrent replica's batch can be
 * lost from a mean (last write wins); a mean of thousands of observations does not notice.
 */
export const NORM_HORIZON = 10_000;

/** The stored mean of `field`, or an older store's `sum / count`. */
function storedMean(stats: Map<string, number>, field: string, sumField: string, count: number) {
  const m = stats.get(field);
  if (m !== undefined) return m;
  const sum = stats.get(sumField);
  return sum !== undefined && count > 0 ? sum / count : undefined;
}

/** The mean after adding a batch of nB observations with mean `batchMean` to nOld observations. */
function blend(
  old: number | undefined,
  nOld: number,
  batchMean: number,
  nB: number,
  horizon: number,
): number {
  if (old === undefined || nOld <= 0) return batchMean;
  return old + Math.min(1, nB / Math.min(nOld + nB, horizon)) * (batchMean - old);
}

/** Means are stored with 6 decimals (log2 units: far below any threshold). */
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * Templates and endpoints a source's counters track (the fields MAX_TRACKED counts); with `except`,
 * only those not in it (what a batch's deltas add to the stored counters).
 */
export function countTracked(
  stats: ReadonlyMap<string, number>,
  except?: ReadonlyMap<string, number>,
): number {
  let tracked = 0;
  for (const k of stats.keys()) if ((k.startsWith('t:') || k.startsWith('e:')) && !except?.has(k)) tracked++;
  return tracked;
}

/**
 * This batch's changes to a source's counters, honouring the cap on tracked templates/endpoints.
 * Aggregated per distinct key first (field names are built once per key, not per event).
 */
export function batchDeltas(
  keys: EventKeys[],
  base: SourceCounters,
  maxTracked: number,
  /** Offline analysis wants exact means over the whole file: Infinity. */
  horizon = NORM_HORIZON,
): SourceCounters {
  const windows = new Map<number, WindowCount>();
  const tpls = new Map<string, KeyAgg>();
  const eps = new Map<string, KeyAgg>();
  const lats = new Map<string, KeyAgg>();
  /** Keys over the cap, remembered so they are judged once. */
  const untracked = new Set<string>();
  let n = base.stats.get('_n') ?? 0;
  let tracked = countTracked(base.stats);
  // The field name is built only for a key not yet in the map (once per distinct key, not per event).
  const track = (map: Map<string, KeyAgg>, prefix: string, key: string): KeyAgg | undefined => {
    let a = map.get(key);
    if (a) return a;
    const field = prefix + key;
    if (untracked.has(field)) return undefined;
    if (!base.stats.has(field)) {
      if (tracked >= maxTracked) {
        untracked.add(field);
        return undefined;
      }
      tracked++;
    }
    a = { n: 0, a: 0, b: 0, first: n, x: 0 };
    map.set(key, a);
    return a;
  };
  let lastBucket = Number.NaN;
  let w: WindowCount = { n: 0, err: 0 };
  for (const k of keys) {
    n++;
    const t = track(tpls, 't:', k.tpl);
    if (t) {
      t.n++;
      t.a += lg(k.msgLen);
      t.b += lg(k.paramMax);
      if (k.isError) t.x++;
    }
    const e = k.endpoint !== undefined ? track(eps, 'e:', k.endpoint) : undefined;
    if (e) {
      e.n++;
      if (k.status !== undefined && k.status >= 500) e.x++;
    }
    if (k.latency !== undefined && (k.endpoint !== undefined ? e : t)) {
      let l = lats.get(k.latKey);
      if (!l) lats.set(k.latKey, (l = { n: 0, a: 0, b: 0, first: 0, x: 0 }));
      const x = lg(k.latency);
      l.n++;
      l.a += x;
      l.b += x ** 2;
    }
    if (k.bucket !== lastBucket) {
      lastBucket = k.bucket;
      const got = windows.get(k.bucket);
      if (got) w = got;
      else windows.set(k.bucket, (w = { n: 0, err: 0 }));
    }
    w.n++;
    if (k.isError) w.err++;
  }
  const stats = new Map<string, number>();
  const sets = new Map<string, number>();
  const firsts = new Map<string, number>();
  const bs = base.stats;
  if (keys.length) stats.set('_n', keys.length);
  let errors = 0;
  for (const k of keys) if (k.isError) errors++;
  if (errors) stats.set('_x', errors);
  for (const [tpl, a] of tpls) {
    if (!bs.has(`f:${tpl}`)) firsts.set(`f:${tpl}`, a.first);
    stats.set(`t:${tpl}`, a.n);
    if (a.x) stats.set(`x:${tpl}`, a.x);
    const nOld = bs.get(`t:${tpl}`) ?? 0;
    sets.set(
      `mm:${tpl}`,
      r6(blend(storedMean(bs, `mm:${tpl}`, `ml:${tpl}`, nOld), nOld, a.a / a.n, a.n, horizon)),
    );
    sets.set(
      `pm:${tpl}`,
      r6(blend(storedMean(bs, `pm:${tpl}`, `pl:${tpl}`, nOld), nOld, a.b / a.n, a.n, horizon)),
    );
  }
  for (const [ep, a] of eps) {
    if (!bs.has(`f:e:${ep}`)) firsts.set(`f:e:${ep}`, a.first);
    stats.set(`e:${ep}`, a.n);
    if (a.x) stats.set(`x:e:${ep}`, a.x);
  }
  for (const [key, a] of lats) {
    const nOld = bs.get(`ln:${key}`) ?? 0;
    sets.set(`ln:${key}`, nOld + a.n);
    sets.set(
      `lm:${key}`,
      r6(blend(storedMean(bs, `lm:${key}`, `ls:${key}`, nOld), nOld, a.a / a.n, a.n, horizon)),
    );
    sets.set(
      `lv:${key}`,
      r6(blend(storedMean(bs, `lv:${key}`, `lq:${key}`, nOld), nOld, a.b / a.n, a.n, horizon)),
    );
  }
  return { stats, sets, windows, firsts };
}

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
    const got = this.firstMemo.get(key);
    if (got !== undefined) return got ?? undefined;
    const f = this.base.stats.get(`f:${key}`) ?? this.delta.firsts?.get(`f:${key}`);
    this.firstMemo.set(key, f ?? null);
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

/** Spread floor for latency z-scores: 0.25 in log2 units, about +-19%; tighter endpoints are not that exact. */
const MIN_LAT_SD = 0.25;

/** Latency as a z-score of log2(ms + 1) against its endpoint/template; 0 without a baseline. */
export function latencyZ(k: EventKeys, v: CounterView): number {
  if (k.latency === undefined) return 0;
  const s = v.latencyLog(k.latKey);
  if (!s) return 0;
  return Math.max(-20, Math.min(20, (lg(k.latency) - s.mean) / Math.max(s.sd, MIN_LAT_SD)));
}

/**
 * Events per window at this event's time: the window's count so far divided by the time elapsed in it
 * (at least `minElapsedMs`, so the first events of a window do not look like a surge or a lull).
 */
export function rateSoFar(k: EventKeys, countSoFar: number, windowMs: number, minElapsedMs: number): number {
  const elapsed = Math.max(minElapsedMs, k.ts - k.bucket * windowMs);
  return (countSoFar * windowMs) / Math.min(windowMs, elapsed);
}

/** Writes the feature vector of one event at `out[off..off+DIMS)`. */
export function featurize(k: EventKeys, v: CounterView, out: Float64Array, off: number): void {
  const total = v.total();
  const t = v.template(k.tpl);
  const n = t.n;
  out[off + F.latency] = latencyZ(k, v);
  out[off + F.status] = k.status === undefined ? 0 : k.status >= 500 ? 2 : k.status >= 400 ? 1 : 0;
  out[off + F.level] = k.severity;
  out[off + F.template_rarity] = Math.log10((total + 1) / Math.max(1, n));
  out[off + F.endpoint_rarity] = k.endpoint
    ? Math.log10((total + 1) / Math.max(1, v.endpoint(k.endpoint)))
    : 0;
  out[off + F.param_length] = n > 0 ? lg(k.paramMax) - t.pl : 0;
  out[off + F.message_length] = n > 0 ? lg(k.msgLen) - t.ml : 0;
  const w = v.window(k.bucket);
  out[off + F.error_burst] = k.isError && w.n > 0 ? w.err / w.n : 0;
  const usual = v.usualRate(k.bucket);
  out[off + F.event_rate] = usual ? Math.max(0, Math.log2(k.rate / usual)) : 0;
}

// Per-event feature vectors (pure). Each feature, and why, is in docs/detect-anomaly.md. Counters come
// from the store (per source) plus this batch's own contributions, so a batch sees itself.
import type { Level, LogEvent } from '../../core/event.js';

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
 * Counters of one source: stored fields (`_n`, `t:<tpl>`, `e:<endpoint>`, `ln:`/`ls:` latency count and
 * log-sum per latKey, `ml:`/`pl:` log-sums of message and longest-param length per template) and windows.
 */
export interface SourceCounters {
  stats: Map<string, number>;
  windows: Map<number, WindowCount>;
  /** `f:<tpl>` / `f:e:<endpoint>`: the source's event count when first seen (written once, hsetnx). */
  firsts?: Map<string, number>;
}

export function emptyCounters(): SourceCounters {
  return { stats: new Map(), windows: new Map() };
}

const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8,}|[0-9a-f-]{36}|[A-Za-z0-9_-]{20,})$/i;

/** `GET /api/users/123?x=1` -> `GET /api/users/:id`: an endpoint is the route, not the resource. */
export function endpointOf(method: string | undefined, path: string | undefined): string | undefined {
  if (!path) return undefined;
  const p = path
    .split('?')[0]
    .split('/')
    .map((s) => (ID_SEGMENT.test(s) ? ':id' : s));
  return `${method ?? '-'} ${p.join('/').slice(0, 120)}`;
}

export function keysOf(e: LogEvent, windowMs: number, now: number): EventKeys {
  const h = e.http;
  const endpoint = endpointOf(h?.method, h?.path);
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
  const ts = Date.parse(e.timestamp);
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

/** This batch's increments to a source's counters, honouring the cap on tracked templates/endpoints. */
export function batchDeltas(keys: EventKeys[], base: SourceCounters, maxTracked: number): SourceCounters {
  const stats = new Map<string, number>();
  const windows = new Map<number, WindowCount>();
  const firsts = new Map<string, number>();
  let n = base.stats.get('_n') ?? 0;
  const first = (f: string) => {
    if (!base.stats.has(f) && !firsts.has(f)) firsts.set(f, n);
  };
  const add = (f: string, by: number) => stats.set(f, (stats.get(f) ?? 0) + by);
  let tracked = 0;
  for (const k of base.stats.keys()) if (k.startsWith('t:') || k.startsWith('e:')) tracked++;
  const track = (f: string): boolean => {
    if (base.stats.has(f) || stats.has(f)) return true;
    if (tracked >= maxTracked) return false;
    tracked++;
    return true;
  };
  for (const k of keys) {
    add('_n', 1);
    n++;
    const tplTracked = track(`t:${k.tpl}`);
    if (tplTracked) {
      first(`f:${k.tpl}`);
      add(`t:${k.tpl}`, 1);
      add(`ml:${k.tpl}`, lg(k.msgLen));
      add(`pl:${k.tpl}`, lg(k.paramMax));
    }
    const epTracked = k.endpoint !== undefined && track(`e:${k.endpoint}`);
    if (epTracked) {
      first(`f:e:${k.endpoint}`);
      add(`e:${k.endpoint}`, 1);
    }
    if (k.latency !== undefined && (k.endpoint ? epTracked : tplTracked)) {
      add(`ln:${k.latKey}`, 1);
      add(`ls:${k.latKey}`, lg(k.latency));
      add(`lq:${k.latKey}`, lg(k.latency) ** 2);
    }
    const w = windows.get(k.bucket) ?? { n: 0, err: 0 };
    w.n++;
    if (k.isError) w.err++;
    windows.set(k.bucket, w);
  }
  return { stats, windows, firsts };
}

/** Read-only view of base + delta counters. */
export class CounterView {
  constructor(
    private readonly base: SourceCounters,
    private readonly delta: SourceCounters,
    private readonly history: number,
  ) {}
  get(f: string): number {
    return (this.base.stats.get(f) ?? 0) + (this.delta.stats.get(f) ?? 0);
  }
  /** Source event count when `key` (`tpl` or `e:endpoint`) was first seen; undefined if untracked. */
  firstSeen(key: string): number | undefined {
    return this.base.stats.get(`f:${key}`) ?? this.delta.firsts?.get(`f:${key}`);
  }
  window(b: number): WindowCount {
    const x = this.base.windows.get(b);
    const y = this.delta.windows.get(b);
    return { n: (x?.n ?? 0) + (y?.n ?? 0), err: (x?.err ?? 0) + (y?.err ?? 0) };
  }
  /** Median events per window over the non-empty previous windows; undefined with fewer than 3. */
  usualRate(b: number): number | undefined {
    if (this.rates.has(b)) return this.rates.get(b);
    const r = this.computeUsualRate(b);
    this.rates.set(b, r);
    return r;
  }
  /** Per-bucket cache: every event of a window asks for the same baseline. */
  private readonly rates = new Map<number, number | undefined>();
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
  latencyLog(key: string): { mean: number; sd: number; n: number } | undefined {
    const n = this.get(`ln:${key}`);
    if (n < 5) return undefined;
    const mean = this.get(`ls:${key}`) / n;
    const sd = Math.sqrt(Math.max(0, this.get(`lq:${key}`) / n - mean * mean));
    return { mean, sd, n };
  }
  /** Geometric-mean latency (~p50 of a log-normal) for a key, when at least 5 observations exist. */
  usualLatency(key: string): number | undefined {
    const n = this.get(`ln:${key}`);
    return n >= 5 ? 2 ** (this.get(`ls:${key}`) / n) - 1 : undefined;
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
  const total = v.get('_n');
  const n = v.get(`t:${k.tpl}`);
  out[off + F.latency] = latencyZ(k, v);
  out[off + F.status] = k.status === undefined ? 0 : k.status >= 500 ? 2 : k.status >= 400 ? 1 : 0;
  out[off + F.level] = k.severity;
  out[off + F.template_rarity] = Math.log10((total + 1) / Math.max(1, n));
  out[off + F.endpoint_rarity] = k.endpoint
    ? Math.log10((total + 1) / Math.max(1, v.get(`e:${k.endpoint}`)))
    : 0;
  out[off + F.param_length] = n > 0 ? lg(k.paramMax) - v.get(`pl:${k.tpl}`) / n : 0;
  out[off + F.message_length] = n > 0 ? lg(k.msgLen) - v.get(`ml:${k.tpl}`) / n : 0;
  const w = v.window(k.bucket);
  out[off + F.error_burst] = k.isError && w.n > 0 ? w.err / w.n : 0;
  const usual = v.usualRate(k.bucket);
  out[off + F.event_rate] = usual ? Math.max(0, Math.log2(k.rate / usual)) : 0;
}

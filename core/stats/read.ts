// Builds the stats document from the KV in one parallel round: one hgetallMany for every hash the
// window needs, one lrange for recent anomalies, plus storage info, queue stats and model status; then
// the template store for the current text of the window's busiest templates (templates.ts).

import { type Broker, DEAD_LETTER_QUEUE } from '../broker/types.js';
import type { AnomalyResult } from '../event.js';
import { DEFAULT_INCIDENT_QUIET_MS, readIncidents } from '../incident.js';
import type { KV, StorageInfo } from '../kv/types.js';
import { listMutes } from '../mutes/store.js';
import {
  addHash,
  emptyTotals,
  mergeTotals,
  percentilesOf,
  rate,
  type Totals,
  toRecord,
} from './aggregate.js';
import { type BucketCache, CLOSE_GRACE_MS, type KeyedBucket, readBuckets } from './bucket-cache.js';
import {
  type LatencyPoint,
  type RecentAnomaly,
  STATS_SCHEMA,
  type StatsDoc,
  type ThroughputPoint,
} from './doc.js';
import { addTo, ENDPOINT_PER_OCTAVE, type Histogram, mergeInto } from './histogram.js';
import {
  DEAD_LETTERED_FIELD,
  HOUR_MS,
  hourKey,
  KEYS,
  latencyMinutesKey,
  MINUTE_MS,
  minuteKey,
  minutesKey,
  SECOND_MS,
  secondsKey,
  templateHourKey,
  tenMinuteKey,
} from './keys.js';
import { readPipeline } from './pipeline-health.js';
import {
  parseTemplates,
  readCurrentTemplates,
  sumHours,
  type TemplateAgg,
  type TemplateViewCache,
  topTemplates,
} from './templates.js';
import { planWindow, UNIT_MS } from './window.js';

export interface ReadStatsOptions {
  windowMs: number;
  now: number;
  broker?: Pick<Broker, 'queueStats'>;
  queues?: string[];
  modelStatus?: () => Promise<unknown>;
  /** How long to wait for the broker before calling the pipeline unreachable (default 1000 ms). */
  brokerTimeoutMs?: number;
  /** Closed buckets kept between reads (one per stats process); without it every read fetches all. */
  cache?: BucketCache;
  /** Recent template-store answers kept between reads (one per stats process); without it every read asks. */
  templateCache?: TemplateViewCache;
  /** Storage figures; default kv.info(). The handler memoizes it: the embedded store's walks every key. */
  storageInfo?: () => Promise<StorageInfo>;
}

/** Points in a series at most; longer series are summed into wider slots. */
export const MAX_SERIES_POINTS = 360;
export const RECENT_ANOMALIES_SHOWN = 50;
export const INCIDENTS_SHOWN = 50;
export const TOP_ENDPOINTS = 20;

export async function readStats(kv: KV, opts: ReadStatsOptions): Promise<StatsDoc> {
  const started = performance.now();
  const plan = planWindow(opts.windowMs, opts.now);
  const seriesKey = plan.series.unit === 'second' ? secondsKey : minutesKey;
  const seriesMs = plan.series.unit === 'second' ? MINUTE_MS : HOUR_MS;
  const at =
    (key: (n: number) => string, ms: number, parse: KeyedBucket['parse']) =>
    (n: number): KeyedBucket => ({ key: key(n), endMs: (n + 1) * ms, parse });
  const buckets: KeyedBucket[] = [
    { key: KEYS.counters, endMs: Infinity, parse: (h) => h },
    ...plan.minutes.map(at(minuteKey, MINUTE_MS, parseAggregate)),
    ...plan.tens.map(at(tenMinuteKey, 10 * MINUTE_MS, parseAggregate)),
    ...plan.hours.map(at(hourKey, HOUR_MS, parseAggregate)),
    ...plan.latencyHours.map(at(latencyMinutesKey, HOUR_MS, parseLatencyMinutes)),
    ...plan.series.containers.map(at(seriesKey, seriesMs, parseSlots)),
    ...plan.templateHours.map(at(templateHourKey, HOUR_MS, parseTemplates)),
  ];
  const fetch = (keys: string[]) => kv.hgetallMany(keys);
  const [parsed, recent, storage, pipeline, model, incidents, mutes] = await Promise.all([
    opts.cache ? opts.cache.read(buckets, opts.now, fetch) : readBuckets(buckets, fetch),
    kv.lrange(KEYS.recentAnomalies, 0, RECENT_ANOMALIES_SHOWN - 1),
    (opts.storageInfo ?? (() => kv.info()))().catch(() => null),
    readPipeline(opts.broker, opts.queues ?? [], opts.brokerTimeoutMs ?? 1000),
    opts.modelStatus ? opts.modelStatus().catch(() => []) : Promise.resolve([]),
    readIncidents(kv, { now: opts.now, quietMs: DEFAULT_INCIDENT_QUIET_MS }),
    listMutes(kv, opts.now),
  ]);
  let i = 0;
  // Each slice holds what its buckets' parse returned (the types given in `buckets` above).
  const take = <T>(n: number) => parsed.slice(i, (i += n)) as T[];
  const [counters] = take<Record<string, string>>(1);
  const minuteAggs = take<Totals>(plan.minutes.length);
  const tenAggs = take<Totals>(plan.tens.length);
  const hourAggs = take<Totals>(plan.hours.length);
  const latencyMinutes = take<Map<number, Histogram>>(plan.latencyHours.length);
  const seriesSlots = take<Slots>(plan.series.containers.length);
  const templateHours = take<Map<string, TemplateAgg>>(plan.templateHours.length);
  // The template store answers for the ids found above: a second round trip, of one hmget per source.
  const templateSums = sumHours(templateHours);
  const currentTemplates = await readCurrentTemplates(kv, templateSums, opts.templateCache);

  // Closed aggregates are merged once per window position (memoized with the cache); open ones every read.
  const aggBuckets = buckets.slice(1, 1 + plan.minutes.length + plan.tens.length + plan.hours.length);
  const aggs = [...minuteAggs, ...tenAggs, ...hourAggs];
  const isClosed = (k: number) => aggBuckets[k].endMs + CLOSE_GRACE_MS < opts.now;
  const closedIds = aggBuckets.filter((_, k) => isClosed(k)).map((b) => b.key);
  const foldClosed = () => {
    const t = emptyTotals();
    for (let k = 0; k < aggs.length; k++) if (isClosed(k)) mergeTotals(t, aggs[k]);
    return t;
  };
  const totals = emptyTotals();
  mergeTotals(totals, opts.cache ? opts.cache.memo(closedIds.join(' '), foldClosed) : foldClosed());
  for (let k = 0; k < aggs.length; k++) if (!isClosed(k)) mergeTotals(totals, aggs[k]);
  const total = int(counters[KEYS_TOTAL]);
  const anomalies = int(counters[KEYS_ANOMALIES]);
  // Messages waiting in the dead-letter queue (what `logfaas dlq` shows) when the broker answered;
  // otherwise the recorded counter.
  const dlq = pipeline.queues.find((q) => q.name === DEAD_LETTER_QUEUE)?.messages;
  const deadLettered = typeof dlq === 'number' ? dlq : int(counters[DEAD_LETTERED_FIELD]);
  const windowS = (plan.to - plan.from) / SECOND_MS;
  const perSecond = windowS > 0 ? totals.events / windowS : 0;
  const unitMs = UNIT_MS[plan.series.unit];
  const throughput = downsample(
    plan.series.slots,
    (s) => seriesSlots[Math.floor(s / 60) - plan.series.containers[0]],
    unitMs,
  );
  const lat =
    plan.latencyUnit === 'minute'
      ? minuteLatencySeries(plan.latencyHours, latencyMinutes, plan.from, plan.to)
      : hourLatencySeries([
          ...plan.tens.map((x, k) => [Math.floor(x / 6), tenAggs[k].lat] as const),
          ...plan.hours.map((x, k) => [x, hourAggs[k].lat] as const),
        ]);

  return {
    schema: STATS_SCHEMA,
    generated_at: new Date(opts.now).toISOString(),
    window: { ms: opts.windowMs, from: plan.from, to: plan.to },
    total,
    anomalies,
    anomaly_rate: rate(anomalies, total),
    dead_lettered: deadLettered,
    in_window: {
      events: totals.events,
      anomalies: totals.anomalies,
      anomaly_rate: rate(totals.anomalies, totals.events),
    },
    by_level: toRecord(totals.levels),
    by_source: toRecord(totals.sources),
    by_status_class: toRecord(totals.statuses),
    throughput: {
      per_second: round(perSecond, 3),
      per_minute: round(perSecond * 60, 2),
      step_s: throughput.stepMs / SECOND_MS,
      series: throughput.points,
    },
    latency: {
      ...percentilesOf(totals.lat, totals.latCount, totals.latSum),
      step_s: lat.stepMs / SECOND_MS,
      series: lat.points,
      endpoints: endpointsOf(totals),
    },
    templates: topTemplates(templateSums, currentTemplates),
    recent_anomalies: parseAnomalies(recent),
    incidents: incidents.slice(0, INCIDENTS_SHOWN),
    mutes,
    storage: {
      kind: storage?.kind ?? 'unknown',
      used_bytes: storage?.usedBytes ?? null,
      persisted_bytes: storage?.persistedBytes ?? null,
      keys: storage?.keys ?? null,
    },
    model: Array.isArray(model) ? model : model ? [model] : [],
    pipeline: { ...pipeline, dead_lettered: deadLettered },
    took_ms: round(performance.now() - started, 2),
  };
}

const KEYS_TOTAL = 'total';
const KEYS_ANOMALIES = 'anomalies';

function int(v: string | undefined): number {
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Packed throughput of one minute (per second) or one hour (per minute): events and anomalies per slot. */
interface Slots {
  n: number[];
  a: number[];
}

/** Parses a packed throughput hash (`n|<i>`, `a|<i>`, i in 0..59). */
function parseSlots(h: Record<string, string>): Slots {
  const out: Slots = { n: new Array(60).fill(0), a: new Array(60).fill(0) };
  for (const f in h) {
    const i = Number(f.slice(2));
    if (!(i >= 0 && i < 60)) continue;
    if (f.startsWith('n|')) out.n[i] = int(h[f]);
    else if (f.startsWith('a|')) out.a[i] = int(h[f]);
  }
  return out;
}

/** The series over `slots`, summed into wider slots first when there are more than MAX_SERIES_POINTS. */
function downsample(
  slots: number[],
  slotsOf: (s: number) => Slots | undefined,
  unitMs: number,
): { stepMs: number; points: ThroughputPoint[] } {
  const k = Math.max(1, Math.ceil(slots.length / MAX_SERIES_POINTS));
  const points: ThroughputPoint[] = [];
  for (let i = 0; i < slots.length; i += k) {
    let events = 0;
    let anomalies = 0;
    for (let j = i; j < Math.min(i + k, slots.length); j++) {
      const c = slotsOf(slots[j]);
      if (!c) continue;
      events += c.n[slots[j] % 60];
      anomalies += c.a[slots[j] % 60];
    }
    points.push({ t: slots[i] * unitMs, events, anomalies });
  }
  return { stepMs: unitMs * k, points };
}

function parseAggregate(h: Record<string, string>): Totals {
  const t = emptyTotals();
  addHash(t, h);
  return t;
}

function point(t: number, h: Histogram): LatencyPoint {
  const p = percentilesOf(h, 0, 0);
  return { t, count: p.count, p50_ms: p.p50_ms, p95_ms: p.p95_ms, p99_ms: p.p99_ms };
}

/** Parses a packed per-minute latency hash (`<minute>|<bucket>` fields) into minute -> histogram. */
function parseLatencyMinutes(h: Record<string, string>): Map<number, Histogram> {
  const byMinute = new Map<number, Histogram>();
  for (const f in h) {
    const cut = f.indexOf('|');
    const m = Number(f.slice(0, cut));
    let hist = byMinute.get(m);
    if (!hist) byMinute.set(m, (hist = new Map()));
    addTo(hist, Number(f.slice(cut + 1)), int(h[f]));
  }
  return byMinute;
}

/** Per-minute latency points from the parsed per-hour packed hashes. */
function minuteLatencySeries(
  hours: number[],
  parsed: Map<number, Histogram>[],
  from: number,
  to: number,
): { stepMs: number; points: LatencyPoint[] } {
  const points: LatencyPoint[] = [];
  for (let m = Math.floor(from / MINUTE_MS); m <= Math.floor(to / MINUTE_MS); m++) {
    const k = hours.indexOf(Math.floor(m / 60));
    const h = k < 0 ? undefined : parsed[k].get(m % 60);
    if (h && h.size > 0) points.push(point(m * MINUTE_MS, h));
  }
  return { stepMs: MINUTE_MS, points };
}

/** Per-hour latency points from the aggregates' overall histograms (ten-minute blocks folded into their hour). */
function hourLatencySeries(parts: (readonly [number, Histogram])[]): {
  stepMs: number;
  points: LatencyPoint[];
} {
  const byHour = new Map<number, Histogram>();
  for (const [hour, lat] of parts) {
    let h = byHour.get(hour);
    if (!h) byHour.set(hour, (h = new Map()));
    mergeInto(h, lat);
  }
  const points = [...byHour]
    .sort((x, y) => x[0] - y[0])
    .filter(([, h]) => h.size > 0)
    .map(([hour, h]) => point(hour * HOUR_MS, h));
  return { stepMs: HOUR_MS, points };
}

function endpointsOf(t: Totals): StatsDoc['latency']['endpoints'] {
  return [...t.endpoints]
    .filter(([, e]) => e.n > 0 || e.errors > 0)
    .map(([endpoint, e]) => ({
      endpoint,
      errors: e.errors,
      ...percentilesOf(e.hist, e.n, e.sum, ENDPOINT_PER_OCTAVE),
    }))
    .sort(
      (a, b) =>
        (b.p95_ms ?? -1) - (a.p95_ms ?? -1) || (b.p99_ms ?? -1) - (a.p99_ms ?? -1) || b.count - a.count,
    )
    .slice(0, TOP_ENDPOINTS);
}

function parseAnomalies(items: string[]): RecentAnomaly[] {
  const out: RecentAnomaly[] = [];
  for (const s of items) {
    try {
      const r = JSON.parse(s) as AnomalyResult;
      const e = r.event;
      out.push({
        timestamp: String(e.timestamp),
        source: String(e.source),
        level: String(e.level),
        message: String(e.message),
        score: Number(r.score) || 0,
        detector: String(r.detector),
        reasons: Array.isArray(r.reasons) ? r.reasons.map(String) : [],
        result: r,
      });
    } catch {
      // A corrupt entry is skipped; the list is capped so it ages out.
    }
  }
  return out;
}

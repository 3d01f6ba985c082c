// Builds the stats document from the KV in one parallel round: one hgetallMany for every hash the
// window needs, one lrange for recent anomalies, plus storage info, queue stats and model status.

import { type Broker, DEAD_LETTER_QUEUE } from '../broker/types.js';
import type { AnomalyResult } from '../event.js';
import type { KV, StorageInfo } from '../kv/types.js';
import { addHash, emptyTotals, percentilesOf, rate, type Totals, toRecord } from './aggregate.js';
import type { BucketCache } from './bucket-cache.js';
import {
  type LatencyPoint,
  type RecentAnomaly,
  STATS_SCHEMA,
  type StatsDoc,
  type TemplateStat,
  type ThroughputPoint,
} from './doc.js';
import { addTo, ENDPOINT_PER_OCTAVE, type Histogram } from './histogram.js';
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
  /** Storage figures; default kv.info(). The handler memoizes it: the embedded store's walks every key. */
  storageInfo?: () => Promise<StorageInfo>;
}

/** Points in a series at most; longer series are summed into wider slots. */
export const MAX_SERIES_POINTS = 360;
export const RECENT_ANOMALIES_SHOWN = 50;
export const TOP_TEMPLATES = 10;
export const TOP_ENDPOINTS = 20;

export async function readStats(kv: KV, opts: ReadStatsOptions): Promise<StatsDoc> {
  const started = performance.now();
  const plan = planWindow(opts.windowMs, opts.now);
  const seriesKey = plan.series.unit === 'second' ? secondsKey : minutesKey;
  const seriesMs = plan.series.unit === 'second' ? MINUTE_MS : HOUR_MS;
  const at = (key: (n: number) => string, ms: number) => (n: number) => ({
    key: key(n),
    endMs: (n + 1) * ms,
  });
  const buckets = [
    { key: KEYS.counters, endMs: Infinity },
    ...plan.minutes.map(at(minuteKey, MINUTE_MS)),
    ...plan.tens.map(at(tenMinuteKey, 10 * MINUTE_MS)),
    ...plan.hours.map(at(hourKey, HOUR_MS)),
    ...plan.latencyHours.map(at(latencyMinutesKey, HOUR_MS)),
    ...plan.series.containers.map(at(seriesKey, seriesMs)),
    ...plan.templateHours.map(at(templateHourKey, HOUR_MS)),
  ];
  const fetch = (keys: string[]) => kv.hgetallMany(keys);
  const [hashes, recent, storage, pipeline, model] = await Promise.all([
    opts.cache ? opts.cache.read(buckets, opts.now, fetch) : fetch(buckets.map((b) => b.key)),
    kv.lrange(KEYS.recentAnomalies, 0, RECENT_ANOMALIES_SHOWN - 1),
    (opts.storageInfo ?? (() => kv.info()))().catch(() => null),
    readPipeline(opts.broker, opts.queues ?? [], opts.brokerTimeoutMs ?? 1000),
    opts.modelStatus ? opts.modelStatus().catch(() => []) : Promise.resolve([]),
  ]);
  let i = 0;
  const take = (n: number) => hashes.slice(i, (i += n));
  const [counters] = take(1);
  const minuteHashes = take(plan.minutes.length);
  const tenHashes = take(plan.tens.length);
  const hourHashes = take(plan.hours.length);
  const latencyHashes = take(plan.latencyHours.length);
  const seriesHashes = take(plan.series.containers.length);
  const templateHashes = take(plan.templateHours.length);

  const totals = emptyTotals();
  for (const h of [...minuteHashes, ...tenHashes, ...hourHashes]) addHash(totals, h);
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
    plan.series.slots.map((s) => {
      const h = seriesHashes[Math.floor(s / 60) - plan.series.containers[0]] ?? {};
      return { t: s * unitMs, events: int(h[`n|${s % 60}`]), anomalies: int(h[`a|${s % 60}`]) };
    }),
    unitMs,
  );
  const lat =
    plan.latencyUnit === 'minute'
      ? minuteLatencySeries(plan.latencyHours, latencyHashes, plan.from, plan.to)
      : hourLatencySeries([
          ...plan.tens.map((x, k) => [Math.floor(x / 6), tenHashes[k]] as const),
          ...plan.hours.map((x, k) => [x, hourHashes[k]] as const),
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
    templates: topTemplates(templateHashes),
    recent_anomalies: parseAnomalies(recent),
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

function downsample(
  points: ThroughputPoint[],
  unitMs: number,
): { stepMs: number; points: ThroughputPoint[] } {
  const k = Math.ceil(points.length / MAX_SERIES_POINTS);
  if (k <= 1) return { stepMs: unitMs, points };
  const out: ThroughputPoint[] = [];
  for (let i = 0; i < points.length; i += k) {
    const slice = points.slice(i, i + k);
    out.push({
      t: slice[0].t,
      events: slice.reduce((s, p) => s + p.events, 0),
      anomalies: slice.reduce((s, p) => s + p.anomalies, 0),
    });
  }
  return { stepMs: unitMs * k, points: out };
}

function point(t: number, h: Histogram): LatencyPoint {
  const p = percentilesOf(h, 0, 0);
  return { t, count: p.count, p50_ms: p.p50_ms, p95_ms: p.p95_ms, p99_ms: p.p99_ms };
}

/** Per-minute latency points from the packed per-hour hashes (`<minute>|<bucket>` fields). */
function minuteLatencySeries(
  hours: number[],
  hashes: Record<string, string>[],
  from: number,
  to: number,
): { stepMs: number; points: LatencyPoint[] } {
  const byMinute = new Map<number, Histogram>();
  hours.forEach((hour, k) => {
    for (const [f, v] of Object.entries(hashes[k])) {
      const cut = f.indexOf('|');
      const m = hour * 60 + Number(f.slice(0, cut));
      let h = byMinute.get(m);
      if (!h) byMinute.set(m, (h = new Map()));
      addTo(h, Number(f.slice(cut + 1)), int(v));
    }
  });
  const points: LatencyPoint[] = [];
  for (let m = Math.floor(from / MINUTE_MS); m <= Math.floor(to / MINUTE_MS); m++) {
    const h = byMinute.get(m);
    if (h) points.push(point(m * MINUTE_MS, h));
  }
  return { stepMs: MINUTE_MS, points };
}

/** Per-hour latency points from the aggregate hashes (ten-minute blocks folded into their hour). */
function hourLatencySeries(parts: (readonly [number, Record<string, string>])[]): {
  stepMs: number;
  points: LatencyPoint[];
} {
  const byHour = new Map<number, Histogram>();
  for (const [hour, rec] of parts) {
    let h = byHour.get(hour);
    if (!h) byHour.set(hour, (h = new Map()));
    for (const [f, v] of Object.entries(rec)) if (f.startsWith('l|')) addTo(h, Number(f.slice(2)), int(v));
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

function topTemplates(hashes: Record<string, string>[]): TemplateStat[] {
  const all = new Map<
    string,
    { count: number; template: string; source: string; first: number; last: number }
  >();
  for (const h of hashes) {
    for (const [f, v] of Object.entries(h)) {
      const cut = f.lastIndexOf('|');
      const id = f.slice(0, cut);
      let t = all.get(id);
      if (!t) all.set(id, (t = { count: 0, template: '', source: '', first: Infinity, last: 0 }));
      switch (f.slice(cut + 1)) {
        case 'n':
          t.count += int(v);
          break;
        case 'f':
          t.first = Math.min(t.first, int(v));
          break;
        case 'l':
          t.last = Math.max(t.last, int(v));
          break;
        case 't':
          t.template ||= v;
          break;
        case 's':
          t.source ||= v;
          break;
      }
    }
  }
  const sum = [...all.values()].reduce((s, t) => s + t.count, 0);
  return [...all]
    .filter(([, t]) => t.count > 0)
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, TOP_TEMPLATES)
    .map(([id, t]) => ({
      id,
      template: t.template,
      source: t.source,
      count: t.count,
      share: rate(t.count, sum),
      first_seen: new Date(Number.isFinite(t.first) ? t.first : t.last).toISOString(),
      last_seen: new Date(t.last).toISOString(),
    }));
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

// Builds the stats document from the KV in one parallel round: one hgetallMany for every hash the
// window needs, one lrange for recent anomalies, plus storage info, queue stats and model status; then
// the template store for the current text of the window's busiest templates (templates.ts). The series
// are built in series.ts, the recent anomalies in recent.ts.

import { type Broker, DEAD_LETTER_QUEUE } from '../broker/types.js';
import { DEFAULT_INCIDENT_QUIET_MS, readIncidents } from '../incident.js';
import type { KV, StorageInfo } from '../kv/types.js';
import { listMutes } from '../mutes/store.js';
import { isSimulatedSource } from '../simulated.js';
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
import { STATS_SCHEMA, type StatsDoc } from './doc.js';
import { ENDPOINT_PER_OCTAVE, type Histogram } from './histogram.js';
import {
  bySourceKey,
  CAPS,
  DEAD_LETTERED_FIELD,
  HOUR_MS,
  KEYS,
  latencyMinutesKey,
  MINUTE_MS,
  minuteKey,
  minutesKey,
  OTHER_LABEL,
  SECOND_MS,
  secondsKey,
  templateHourKey,
  tenMinuteKey,
} from './keys.js';
import { readPipeline } from './pipeline-health.js';
import { newestEventsFirst, parseAnomalies } from './recent.js';
import {
  downsample,
  hourLatencySeries,
  int,
  minuteLatencySeries,
  parseLatencyMinutes,
  parseSlots,
  type Slots,
} from './series.js';
import {
  accepts,
  acceptsEventSource,
  filterId,
  type SourceFilter,
  sourceShare,
  WHOLE,
} from './source-filter.js';
import {
  parseTemplates,
  readCurrentTemplates,
  sumHours,
  type TemplateAgg,
  type TemplateViewCache,
  templatesBeyondCaps,
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
  /** One source, real logs only or simulated only; default every source. */
  filter?: SourceFilter;
}

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
  // A filtered view reads the by-source twins of the time-bucketed hashes, folded for its sources; every
  // view reads the aggregates that way, since they are written by source only (keys.ts isAggregateKey).
  const f = opts.filter;
  const byFilter =
    <T>(key: (n: number) => string, ms: number, parse: (h: Record<string, string>) => T, all = false) =>
    (n: number): KeyedBucket => {
      const view = f ?? (all ? WHOLE : undefined);
      if (!view) return at(key, ms, parse)(n);
      const k = bySourceKey(key(n));
      return {
        key: k,
        id: `${k}#${filterId(view)}`,
        endMs: (n + 1) * ms,
        parse: (h) => {
          const share = sourceShare(h, view);
          const out = parse(share.fields);
          // Aggregates keep every source's count, so the document can list the sources a view leaves out.
          if (all) (out as Totals).sources = share.events;
          return out;
        },
      };
    };
  const buckets: KeyedBucket[] = [
    { key: KEYS.counters, endMs: Infinity, parse: (h) => h },
    ...plan.minutes.map(byFilter(minuteKey, MINUTE_MS, parseAggregate, true)),
    ...plan.tens.map(byFilter(tenMinuteKey, 10 * MINUTE_MS, parseAggregate, true)),
    ...plan.latencyHours.map(byFilter(latencyMinutesKey, HOUR_MS, parseLatencyMinutes)),
    ...plan.series.containers.map(byFilter(seriesKey, seriesMs, parseSlots)),
    ...plan.templateHours.map(at(templateHourKey, HOUR_MS, parseTemplates)),
  ];
  const fetch = (keys: string[]) => kv.hgetallMany(keys);
  const [parsed, recent, storage, pipeline, model, mutes, incidents] = await Promise.all([
    opts.cache ? opts.cache.read(buckets, opts.now, fetch) : readBuckets(buckets, fetch),
    // A filtered view picks its anomalies from every one kept.
    kv.lrange(KEYS.recentAnomalies, 0, (f ? CAPS.recentAnomalies : RECENT_ANOMALIES_SHOWN) - 1),
    (opts.storageInfo ?? (() => kv.info()))().catch(() => null),
    readPipeline(opts.broker, opts.queues ?? [], opts.brokerTimeoutMs ?? 1000),
    opts.modelStatus ? opts.modelStatus().catch(() => []) : Promise.resolve([]),
    listMutes(kv, opts.now),
    // The newest closed ones only: the document shows 50, and parsing all 500 kept cost every poll.
    readIncidents(kv, { now: opts.now, quietMs: DEFAULT_INCIDENT_QUIET_MS, closedLimit: INCIDENTS_SHOWN }),
  ]);
  let i = 0;
  // Each slice holds what its buckets' parse returned (the types given in `buckets` above).
  const take = <T>(n: number) => parsed.slice(i, (i += n)) as T[];
  const [counters] = take<Record<string, string>>(1);
  const minuteAggs = take<Totals>(plan.minutes.length);
  const tenAggs = take<Totals>(plan.tens.length);
  const latencyMinutes = take<Map<number, Histogram>>(plan.latencyHours.length);
  const seriesSlots = take<Slots>(plan.series.containers.length);
  const templateHours = take<Map<string, TemplateAgg>>(plan.templateHours.length);
  // The template store answers for the ids found above: a second round trip, of one hmget per source.
  const templateSums = sumHours(templateHours);
  if (f) for (const [id, t] of templateSums) if (!accepts(f, t.source)) templateSums.delete(id);
  const currentTemplates = await readCurrentTemplates(kv, templateSums, opts.templateCache);

  // Closed aggregates are merged once per window position (memoized with the cache); open ones every read.
  const aggBuckets = buckets.slice(1, 1 + plan.minutes.length + plan.tens.length);
  const aggs = [...minuteAggs, ...tenAggs];
  const isClosed = (k: number) => aggBuckets[k].endMs + CLOSE_GRACE_MS < opts.now;
  const closedIds = aggBuckets.filter((_, k) => isClosed(k)).map((b) => b.id ?? b.key);
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
      : hourLatencySeries(plan.tens.map((x, k) => [Math.floor(x / 6), tenAggs[k].lat] as const));

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
    by_source: f
      ? toRecord(new Map([...totals.sources].filter(([s]) => accepts(f, s))))
      : toRecord(totals.sources),
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
    // The cap buckets hold no source: a filtered view cannot tell which of it is its own.
    templates_beyond_cap: f ? { batch: 0, hour: 0 } : templatesBeyondCaps(templateSums),
    recent_anomalies: newestEventsFirst(
      parseAnomalies(recent).filter((a) => !f || acceptsEventSource(f, a.source)),
    ).slice(0, RECENT_ANOMALIES_SHOWN),
    incidents: incidents.filter((x) => !f || acceptsEventSource(f, x.source)).slice(0, INCIDENTS_SHOWN),
    mutes,
    filter: {
      source: f?.kind === 'source' ? f.source : null,
      only: f?.kind === 'real' || f?.kind === 'simulated' ? f.kind : null,
    },
    sources: [...totals.sources]
      .filter(([name, n]) => n > 0 && name !== OTHER_LABEL)
      .sort((x, y) => y[1] - x[1])
      .map(([name, events]) => ({ name, events, simulated: isSimulatedSource(name) })),
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

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function parseAggregate(h: Record<string, string>): Totals {
  const t = emptyTotals();
  addHash(t, h);
  return t;
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

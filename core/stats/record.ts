// What detect-anomaly records for stats, as pure KV writes for one batch (applied atomically with the
// batch's idempotency key). The read side is in read.ts; the key layout and its bounds are in keys.ts.
import type { AnomalyResult, LogEvent } from '../event.js';
import type { WriteOp } from '../kv/types.js';
import { memo } from '../memo.js';
import { addTo, bucketOf, ENDPOINT_PER_OCTAVE, type Histogram } from './histogram.js';
import {
  bySourceKey,
  CAPS,
  FIELDS,
  hourOf,
  isAggregateKey,
  KEYS,
  latencyMinutesKey,
  minuteKey,
  minuteOf,
  minutesKey,
  OTHER_LABEL,
  secondOf,
  secondsKey,
  TTL,
  tenMinuteKey,
  tenMinuteOf,
} from './keys.js';
import { cleanLabel, endpointOf, latencyOf, statusClassOf } from './labels.js';
import type { TemplateMetaSent } from './template-meta.js';
import { type BatchTemplate, templateOps } from './template-writes.js';

export { KEYS } from './keys.js';

export interface BatchOutcome {
  events: LogEvent[];
  anomalies: AnomalyResult[];
  /** Epoch ms when the batch was processed. Every bucket is keyed by this time, not the lines' own. */
  now: number;
  /**
   * Set-once template fields this replica wrote lately (template-meta.ts): left out of the writes. The
   * caller notes the writes it applied.
   */
  sentTemplates?: TemplateMetaSent;
}

interface EndpointAgg {
  n: number;
  sum: number;
  errors: number;
  hist: Histogram;
}

/** One batch's (or one source's share of it) aggregate fields, as written to the aggregate hashes. */
interface Folded {
  bucket: Map<string, number>;
  /** Fields of `bucket` written with HINCRBYFLOAT. */
  floats: Set<string>;
  latency: Histogram;
  levels: Map<string, number>;
  statuses: Map<string, number>;
}

interface FoldContext {
  label: (s: string) => string;
  endpointLabel: (e: LogEvent) => string | null;
  /** Filled with the batch's templates when given. */
  templates?: Map<string, BatchTemplate>;
}

/** The KV writes that record one processed batch. Pure: same input (and state of sentTemplates), same ops. */
export function statsWrites(o: BatchOutcome): WriteOp[] {
  if (o.events.length === 0 && o.anomalies.length === 0) return [];
  // Labels repeat across a batch (a few sources, templates and routes), and cleaning one is a regex
  // replace, a path split and per-segment tests: memoised per call, they were ~10% of detect's CPU.
  const label = memo(cleanLabel);
  // Keyed by method, then path: a joined `method + path` key was a new string to build and hash per event
  // (measured ~14% of this function). (The joined key also mixed up a missing method with the text
  // "undefined", which this does not.)
  const endpointLabels = new Map<string | undefined, Map<string | undefined, string | null>>();
  const endpointLabel = (e: LogEvent) => {
    const h = e.http;
    if (!h) return null;
    let byPath = endpointLabels.get(h.method);
    if (!byPath) endpointLabels.set(h.method, (byPath = new Map()));
    let ep = byPath.get(h.path);
    if (ep === undefined) byPath.set(h.path, (ep = endpointOf(e)));
    return ep;
  };
  const templates = new Map<string, BatchTemplate>();
  const all = fold(o.events, o.anomalies.length, { label, endpointLabel, templates });

  const counters: WriteOp[] = [];
  const incCounter = (field: string, by: number) =>
    by && counters.push({ op: 'hincrby', key: KEYS.counters, field, by });
  incCounter('total', o.events.length);
  incCounter('anomalies', o.anomalies.length);
  for (const [l, n] of all.levels) incCounter(FIELDS.level(l), n);
  for (const [c, n] of all.statuses) incCounter(FIELDS.status(c), n);

  const aggregates = aggregateOps(all, o.events.length, o.anomalies.length, o.now);
  // The minute and ten-minute aggregates are written by source only (sourceScopeOps): a view of every
  // source reads them summed, so the whole would be every field written twice.
  const ops: WriteOp[] = [
    ...counters,
    ...aggregates.filter((op) => !isAggregateKey(op.key)),
    ...templateOps(templates, o.now, o.sentTemplates),
  ];
  ops.push(...sourceScopeOps(o, { label, endpointLabel }, aggregates));
  // One value per LPUSH so the newest anomaly ends up at the head whatever a store's multi-value order is.
  for (const a of o.anomalies.slice(-CAPS.recentAnomalies)) {
    ops.push({
      op: 'lpush',
      key: KEYS.recentAnomalies,
      values: [JSON.stringify(trimAnomaly(a))],
      cap: CAPS.recentAnomalies,
    });
  }
  return ops;
}

/** Folds events into aggregate fields (the layout of keys.ts FIELDS). */
function fold(events: LogEvent[], anomalies: number, ctx: FoldContext): Folded {
  const bucket = new Map<string, number>();
  const add = (field: string, by: number) => bucket.set(field, (bucket.get(field) ?? 0) + by);
  // Sums of milliseconds always go through HINCRBYFLOAT, whole or not: one HINCRBY on a field that once
  // received a float fails the whole batch (found by the HTTP fuzz test). Sub-ms latencies keep their precision.
  const floats = new Set<string>();
  const addFloat = (field: string, by: number) => {
    floats.add(field);
    add(field, by);
  };
  const levels = new Map<string, number>();
  const statuses = new Map<string, number>();
  const latency: Histogram = new Map();
  let latCount = 0;
  let latSum = 0;
  const endpoints = new Map<string, EndpointAgg>();
  const { label, endpointLabel, templates } = ctx;

  for (const e of events) {
    bump(levels, e.level);
    const sc = statusClassOf(e);
    if (sc) bump(statuses, sc);
    if (templates) {
      const source = label(e.source);
      const tid = label(e.templateId);
      const t = templates.get(tid);
      if (t) t.n++;
      else templates.set(tid, { n: 1, text: e.template.slice(0, CAPS.templateTextChars), source });
    }
    const ms = latencyOf(e);
    const ep = endpointLabel(e);
    if (ms !== null) {
      const b = bucketOf(ms);
      addTo(latency, b, 1);
      latCount++;
      latSum += ms;
    }
    if (ep) {
      let a = endpoints.get(ep);
      if (!a) endpoints.set(ep, (a = { n: 0, sum: 0, errors: 0, hist: new Map() }));
      if (sc === '5xx') a.errors++;
      if (ms !== null) {
        a.n++;
        a.sum += ms;
        addTo(a.hist, bucketOf(ms, ENDPOINT_PER_OCTAVE), 1);
      }
    }
  }

  add(FIELDS.events, events.length);
  add(FIELDS.anomalies, anomalies);
  for (const [l, n] of levels) add(FIELDS.level(l), n);
  for (const [c, n] of statuses) add(FIELDS.status(c), n);
  // Latency counts are not written: they equal the sum of the histogram's buckets (readers derive them),
  // which saves one field per endpoint in every bucket hash (150 ops per 200-line batch over 50 endpoints).
  if (latCount) {
    addFloat(FIELDS.latSum, latSum);
    for (const [b, n] of latency) add(FIELDS.latBucket(b), n);
  }
  // Endpoint fields after the fixed ones. Their cap per hash, and where they go past it, are the by-source
  // hash's (scoped): the aggregates are written by source only.
  for (const [ep, a] of capEndpoints(endpoints)) {
    if (a.sum) addFloat(FIELDS.epSum(ep), a.sum);
    if (a.errors) add(FIELDS.epErrors(ep), a.errors);
    for (const [b, n] of a.hist) add(FIELDS.epBucket(ep, b), n);
  }
  return { bucket, floats, latency, levels, statuses };
}

/** The throughput, aggregate and latency-minute hashes of one batch (or one source's share of it). */
function aggregateOps(f: Folded, events: number, anomalies: number, now: number): WriteOp[] {
  // Fields of the packed throughput hashes (keys.ts secondsKey/minutesKey) for one second or minute slot.
  const slot = (i: number) =>
    new Map([
      [`${FIELDS.events}|${i}`, events],
      [`${FIELDS.anomalies}|${i}`, anomalies],
    ]);
  return [
    ...incrementOps(secondsKey(minuteOf(now)), slot(secondOf(now) % 60), TTL.second),
    ...incrementOps(minutesKey(hourOf(now)), slot(minuteOf(now) % 60), TTL.hour),
    ...incrementOps(minuteKey(minuteOf(now)), f.bucket, TTL.minute, f.floats),
    ...incrementOps(tenMinuteKey(tenMinuteOf(now)), f.bucket, TTL.tenMinute, f.floats),
    ...incrementOps(
      latencyMinutesKey(hourOf(now)),
      new Map([...f.latency].map(([b, n]) => [`${minuteOf(now) % 60}|${b}`, n])),
      TTL.latencyMinutes,
    ),
  ];
}

/** Events per source label; a batch of one source (the usual case) is its own list, not a copy. */
function bySourceLabel(all: LogEvent[], label: (s: string) => string): Map<string, LogEvent[]> {
  const events = new Map<string, LogEvent[]>();
  if (all.length > 0 && all.every((e) => e.source === all[0].source)) {
    events.set(label(all[0].source), all);
    return events;
  }
  for (const e of all) {
    const s = label(e.source);
    const list = events.get(s);
    if (list) list.push(e);
    else events.set(s, [e]);
  }
  return events;
}

/**
 * The same hashes per source, for views of one source, of real logs only or of all of them: each source's
 * share of the batch (its busiest CAPS.sourcesPerBatch sources, the rest together as OTHER_LABEL) written as
 * `<source>|<field>` into the by-source twin of each key (keys.ts bySourceKey). Every field there is capped
 * per hash (CAPS.bySourceFields; past it, under `(other)|<field>`), so a flood of source names cannot grow
 * them past a bound. The aggregate hashes exist only as these twins (isAggregateKey).
 */
function sourceScopeOps(o: BatchOutcome, ctx: FoldContext, whole: WriteOp[]): WriteOp[] {
  const events = bySourceLabel(o.events, ctx.label);
  const anomalies = new Map<string, number>();
  for (const a of o.anomalies) bump(anomalies, ctx.label(a.event.source));
  const counts = new Map([...events].map(([s, l]) => [s, l.length]));
  // Grouped per key, one expire after each key's writes: the Redis KV applies a key's ops in one step
  // only when no write follows its expire (redis.ts groupHashOps).
  const byKey = new Map<string, WriteOp[]>();
  const ttls = new Map<string, number>();
  const kept = capCounts(counts, CAPS.sourcesPerBatch);
  for (const source of kept.keys()) {
    let list = events.get(source) ?? [];
    let a = anomalies.get(source) ?? 0;
    // The sources past the per-batch cap, as one share: views of every source still add up.
    if (source === OTHER_LABEL && kept !== counts) {
      list = [];
      a = 0;
      for (const [s, l] of events) {
        if (kept.has(s) && s !== OTHER_LABEL) continue;
        for (const e of l) list.push(e);
        a += anomalies.get(s) ?? 0;
      }
    }
    // A batch of one source (the usual case: the producer batches per source) is its own share.
    const share =
      list.length === o.events.length && a === o.anomalies.length
        ? whole
        : aggregateOps(fold(list, a, ctx), list.length, a, o.now);
    for (const op of share) {
      const key = bySourceKey(op.key);
      if (op.op === 'expire') ttls.set(key, op.ttlMs);
      else {
        const ops = byKey.get(key);
        if (ops) ops.push(scoped(op, source));
        else byKey.set(key, [scoped(op, source)]);
      }
    }
  }
  const ops: WriteOp[] = [];
  for (const [key, list] of byKey) ops.push(...list, { op: 'expire', key, ttlMs: ttls.get(key) ?? TTL.hour });
  return ops;
}

/** One aggregate op moved to the by-source twin of its key, its field prefixed with the source. */
function scoped(op: WriteOp, source: string): WriteOp {
  if (op.op !== 'hincrby' && op.op !== 'hincrbyfloat') throw new Error(`unexpected ${op.op} in an aggregate`);
  return {
    op: 'hincrbyCapped',
    key: bySourceKey(op.key),
    field: `${source}|${op.field}`,
    by: op.by,
    maxFields: CAPS.bySourceFields,
    // Past the cap, without its endpoint label either, so the overflow fields are a fixed set.
    otherField: `${OTHER_LABEL}|${op.field.startsWith('ep|') ? `ep|${OTHER_LABEL}${op.field.slice(op.field.indexOf('|', 3))}` : op.field}`,
    ...(op.op === 'hincrbyfloat' ? { float: true } : {}),
  };
}

function bump(m: Map<string, number>, k: string, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

function incrementOps(
  key: string,
  fields: Map<string, number>,
  ttlMs: number,
  floats?: Set<string>,
): WriteOp[] {
  const ops: WriteOp[] = [];
  for (const [field, by] of fields) {
    if (!by) continue;
    ops.push(floats?.has(field) ? { op: 'hincrbyfloat', key, field, by } : { op: 'hincrby', key, field, by });
  }
  if (ops.length) ops.push({ op: 'expire', key, ttlMs });
  return ops;
}

/** Keeps the `cap` busiest labels and folds the rest into OTHER_LABEL. */
export function capCounts(m: Map<string, number>, cap: number): Map<string, number> {
  if (m.size <= cap) return m;
  const sorted = [...m].sort((x, y) => y[1] - x[1]);
  const out = new Map(sorted.slice(0, cap));
  for (const [, n] of sorted.slice(cap)) bump(out, OTHER_LABEL, n);
  return out;
}

function capEndpoints(m: Map<string, EndpointAgg>): Map<string, EndpointAgg> {
  if (m.size <= CAPS.endpointsPerBatch) return m;
  const sorted = [...m].sort((x, y) => y[1].n - x[1].n);
  const out = new Map(sorted.slice(0, CAPS.endpointsPerBatch));
  const other: EndpointAgg = out.get(OTHER_LABEL) ?? { n: 0, sum: 0, errors: 0, hist: new Map() };
  for (const [, a] of sorted.slice(CAPS.endpointsPerBatch)) {
    other.n += a.n;
    other.sum += a.sum;
    other.errors += a.errors;
    for (const [b, n] of a.hist) addTo(other.hist, b, n);
  }
  out.set(OTHER_LABEL, other);
  return out;
}

function trimAnomaly(a: AnomalyResult): AnomalyResult {
  const max = CAPS.anomalyTextChars;
  const e = a.event;
  // A multi-line event's stack (up to MULTILINE_MAX_BYTES) is cut too: most traces come with an error
  // level, so nearly every one is an anomaly kept here.
  if (e.message.length <= max && e.raw.length <= max && (e.stack?.length ?? 0) <= max) return a;
  const event = { ...e, message: e.message.slice(0, max), raw: e.raw.slice(0, max) };
  if (e.stack !== undefined) event.stack = e.stack.slice(0, max);
  return { ...a, event };
}

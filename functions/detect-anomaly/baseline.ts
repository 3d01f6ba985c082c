// Count baselines per template and per source over event-time buckets (pure): how many lines a bucket
// usually holds, and whether this one is far above ("count_spike") or below ("count_drop") it, or its
// error share far above the usual ("error_rate"). After Elastic's ML categorisation jobs ("count" /
// "non_zero_count by mlcategory"): one judgement per bucket and key, not one per line.
//
// State lives in the source's norms hash, one field per key K (a template id, or SOURCE_KEY for the whole
// source): `c:K` = `bucket,lines,errors,flag,mean,meanSq,buckets,active,errShare` (the bucket being
// filled, its lines and errors so far, whether it was judged anomalous, the running mean of log2(count + 1)
// over non-empty buckets and of its square, how many, and for the source the share of buckets that are
// non-empty and the error share): one field, not nine, since the norms hash is read whole every batch.
// The source also has a daily profile `ch:<hour>`/`cq:<hour>`/`cj:<hour>` and `c0:*` (its first bucket).
// Written as values in the batch's HSET (last writer wins between concurrent replicas, as the running
// means of deltas.ts: a baseline of many buckets does not notice a lost batch).
import type { DetectConfig } from './config.js';
import type { EventKeys } from './event-keys.js';

/** The key of the whole source's counts (a template id never is `*`). */
export const SOURCE_KEY = '*';

export interface CountFinding {
  kind: 'count_spike' | 'count_drop' | 'error_rate';
  /** SOURCE_KEY or a template id. */
  key: string;
  /** The anomalous bucket (for a drop over empty buckets: the last of them). */
  bucket: number;
  /** First bucket of the finding (a drop over several empty buckets); else = bucket. */
  fromBucket: number;
  /** Lines (error share for error_rate) in the bucket, and the baseline it was judged on. */
  actual: number;
  typical: number;
  /** The whole bucket's lines so far (errors for error_rate), and those this batch added. */
  lines: number;
  added: number;
  /** Whether the daily profile (hour of day) gave the baseline. */
  daily: boolean;
}

interface State {
  last: number;
  cur: number;
  curErr: number;
  flag: number;
  mean: number;
  sq: number;
  k: number;
  active: number;
  errShare: number;
}

const FLAG_SPIKE = 1;
const FLAG_ERR = 2;
/** Spread floor in log2 units (about +-19%): a very regular count is not that exact. */
const MIN_SD = 0.25;
/** Hour-of-day profile: used once the source has this much history and the hour enough buckets. */
const DAILY_HISTORY_MS = 2 * 86_400_000;
const HOUR_MS = 3_600_000;

const lg = (x: number) => Math.log2(x + 1);

/** The field of key K's count state. */
export const countField = (key: string): string => `c:${key}`;

function readState(packed: ReadonlyMap<string, string>, key: string): State {
  const v = packed.get(countField(key))?.split(',').map(Number);
  const g = (i: number, d: number) => (v && Number.isFinite(v[i]) ? v[i] : d);
  return {
    last: g(0, Number.NaN),
    cur: g(1, 0),
    curErr: g(2, 0),
    flag: g(3, 0),
    mean: g(4, 0),
    sq: g(5, 0),
    k: g(6, 0),
    active: g(7, 0),
    errShare: g(8, 0),
  };
}

function writeState(out: Map<string, string>, key: string, s: State): void {
  const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
  out.set(
    countField(key),
    [s.last, s.cur, s.curErr, s.flag, r6(s.mean), r6(s.sq), s.k, r6(s.active), r6(s.errShare)].join(','),
  );
}

export interface BaselineOptions {
  windowMs: number;
  /** Buckets a baseline follows (exact mean below it, exponentially weighted beyond). */
  horizon: number;
  /** Non-empty buckets seen before a key is judged. */
  minBuckets: number;
  /** A spike is at least this many times the typical count, a drop at most 1/this. */
  factor: number;
  /** ...and this many standard deviations of the key's own log-count. */
  z: number;
  /** A spike has at least this many lines in its bucket. */
  minCount: number;
  /** A source is judged for drops only when at least this share of its buckets hold lines. */
  dropActive: number;
  burstMinErrors: number;
}

export function baselineOptions(cfg: DetectConfig): BaselineOptions {
  return {
    windowMs: cfg.windowMs,
    horizon: cfg.countHorizon,
    minBuckets: cfg.countMinBuckets,
    factor: cfg.surgeFactor,
    z: cfg.countZ,
    minCount: cfg.countMinLines,
    dropActive: cfg.dropActive,
    burstMinErrors: cfg.burstMinErrors,
  };
}

/** Per key, the batch's lines (and errors) per bucket; per bucket, the latest event time. */
function countsByKey(keys: EventKeys[], tracked: (tpl: string) => boolean) {
  const by = new Map<string, Map<number, { n: number; err: number }>>();
  const latest = new Map<number, number>();
  const add = (key: string, b: number, err: boolean) => {
    let m = by.get(key);
    if (!m) by.set(key, (m = new Map()));
    const c = m.get(b);
    if (c) {
      c.n++;
      if (err) c.err++;
    } else m.set(b, { n: 1, err: err ? 1 : 0 });
  };
  for (const k of keys) {
    add(SOURCE_KEY, k.bucket, k.isError);
    if (tracked(k.tpl)) add(k.tpl, k.bucket, k.isError);
    if (!(k.ts <= (latest.get(k.bucket) ?? Number.NEGATIVE_INFINITY))) latest.set(k.bucket, k.ts);
  }
  return { by, latest };
}

/** A bucket judged before its end is compared with the share of the typical count its elapsed time holds (at least 1/10). */
const MIN_ELAPSED = 0.1;

/**
 * Judges a source's batch against its count baselines and returns the findings and the new state
 * (fields to HSET into the norms hash: numbers in `sets`, the packed per-key states in `packedSets`).
 * `stats`/`packed`: the norms hash as read (its number fields, its `c:` fields); `tracked`: templates the
 * source tracks (MAX_TRACKED), the only ones with a baseline.
 */
export function judgeCounts(
  keys: EventKeys[],
  stored: { stats: ReadonlyMap<string, number>; packed?: ReadonlyMap<string, string> },
  tracked: (tpl: string) => boolean,
  o: BaselineOptions,
): { findings: CountFinding[]; sets: Map<string, number>; packedSets: Map<string, string> } {
  const { stats } = stored;
  const packed = stored.packed ?? new Map<string, string>();
  const findings: CountFinding[] = [];
  const sets = new Map<string, number>();
  const packedSets = new Map<string, string>();
  const first = stats.get(`c0:${SOURCE_KEY}`);
  let firstBucket = first ?? Number.NaN;
  const { by, latest } = countsByKey(keys, tracked);
  for (const [key, buckets] of by) {
    const isSource = key === SOURCE_KEY;
    const s = readState(packed, key);
    const sourceSpikes = new Set<number>();
    for (const b of [...buckets.keys()].sort((x, y) => x - y)) {
      const c = buckets.get(b)!;
      if (Number.isNaN(s.last)) {
        s.last = b;
        if (isSource && Number.isNaN(firstBucket)) firstBucket = b;
      } else if (b > s.last) {
        close(s, b, isSource);
        s.last = b;
      } else if (b < s.last) continue; // a late line: counted in the totals, not in a closed bucket
      s.cur += c.n;
      s.curErr += c.err;
      if (s.k < o.minBuckets || s.cur < o.minCount) continue;
      // Judged on the bucket so far against the typical count of the time elapsed in it (a surge is seen
      // within a second or two, not at the bucket's end): at least FACTOR times it, outside the key's own
      // spread of log-counts (a bursty source has a wide one), and beyond Poisson noise for small counts.
      const base = expected(s, b, isSource);
      const f = Math.min(
        1,
        Math.max(MIN_ELAPSED, ((latest.get(b) ?? b * o.windowMs) - b * o.windowMs + 1) / o.windowMs),
      );
      const typical = 2 ** base.mean - 1;
      const lambda = Math.max(typical * f, 0.5);
      const diff = lg(s.cur) - lg(lambda);
      const poissonZ = (s.cur - lambda) / Math.sqrt(lambda);
      if (s.cur >= o.factor * lambda && diff >= o.z * Math.max(base.sd, MIN_SD) && poissonZ >= o.z) {
        findings.push({
          kind: 'count_spike',
          key,
          bucket: b,
          fromBucket: b,
          actual: s.cur,
          typical: lambda,
          lines: s.cur,
          added: c.n,
          daily: base.daily,
        });
        s.flag |= FLAG_SPIKE;
        if (isSource) sourceSpikes.add(b);
      }
      if (isSource && s.curErr >= o.burstMinErrors) {
        const p = s.errShare;
        const share = s.curErr / s.cur;
        const z = (s.curErr - s.cur * p) / Math.sqrt(s.cur * p * (1 - p) + 1);
        if (share >= p + Math.max(0.1, 2 * p) && z >= o.z) {
          findings.push({
            kind: 'error_rate',
            key,
            bucket: b,
            fromBucket: b,
            actual: share,
            typical: p,
            lines: s.curErr,
            added: c.err,
            daily: false,
          });
          s.flag |= FLAG_ERR;
        }
      }
    }
    writeState(packedSets, key, s);
  }
  if (!Number.isNaN(firstBucket) && first === undefined) sets.set(`c0:${SOURCE_KEY}`, firstBucket);
  return { findings, sets, packedSets };

  /** The typical log-count for bucket b: the hour of day's once the source has days of history. */
  function expected(s: State, b: number, isSource: boolean) {
    const sd = Math.sqrt(Math.max(0, s.sq - s.mean * s.mean));
    if (isSource && !Number.isNaN(firstBucket) && (b - firstBucket) * o.windowMs >= DAILY_HISTORY_MS) {
      const h = hourOf(b);
      const j = stats.get(`cj:${h}`) ?? 0;
      if (j >= o.minBuckets) {
        const m = sets.get(`ch:${h}`) ?? stats.get(`ch:${h}`) ?? 0;
        const q = sets.get(`cq:${h}`) ?? stats.get(`cq:${h}`) ?? 0;
        return { mean: m, sd: Math.sqrt(Math.max(0, q - m * m)), daily: true };
      }
    }
    return { mean: s.mean, sd, daily: false };
  }

  function hourOf(b: number): number {
    return Math.floor(((b * o.windowMs) % 86_400_000) / HOUR_MS);
  }

  /** Folds the finished bucket (and the empty ones up to `next`) into the baseline; judges a drop. */
  function close(s: State, next: number, isSource: boolean): void {
    const gap = next - s.last - 1;
    const sd = Math.max(MIN_SD, Math.sqrt(Math.max(0, s.sq - s.mean * s.mean)));
    const judged = s.k >= o.minBuckets && isSource && s.active >= o.dropActive;
    const typical = 2 ** s.mean - 1;
    if (judged && typical >= o.minCount) {
      const x = lg(s.cur);
      if (s.mean - x >= Math.max(Math.log2(o.factor), o.z * sd))
        findings.push(drop(s.last, s.last, s.cur, typical, s.cur));
      if (gap > 0) findings.push(drop(s.last + 1, next - 1, 0, typical, 0));
    }
    // An anomalous bucket moves the baseline only as far as the threshold, so a long surge does not
    // become the norm within minutes and the return to normal is not a "drop".
    let x = lg(s.cur);
    if (s.flag & FLAG_SPIKE) x = Math.min(x, s.mean + Math.log2(o.factor));
    const a = Math.max(1 / (s.k + 1), 1 / o.horizon);
    s.mean += a * (x - s.mean);
    s.sq += a * (x * x - s.sq);
    if (isSource) {
      if (!(s.flag & FLAG_ERR) && s.cur > 0) s.errShare += a * (s.curErr / s.cur - s.errShare);
      s.active += a * (1 - s.active);
      if (gap > 0) s.active *= (1 - a) ** gap;
      const h = hourOf(s.last);
      const j = (sets.get(`cj:${h}`) ?? stats.get(`cj:${h}`) ?? 0) + 1;
      const ah = Math.max(1 / j, 1 / o.horizon);
      const m = sets.get(`ch:${h}`) ?? stats.get(`ch:${h}`) ?? 0;
      const q = sets.get(`cq:${h}`) ?? stats.get(`cq:${h}`) ?? 0;
      sets.set(`ch:${h}`, Math.round((m + ah * (x - m)) * 1e6) / 1e6);
      sets.set(`cq:${h}`, Math.round((q + ah * (x * x - q)) * 1e6) / 1e6);
      sets.set(`cj:${h}`, j);
    }
    s.k = Math.min(s.k + 1, 1_000_000);
    s.cur = 0;
    s.curErr = 0;
    s.flag = 0;
  }
}

function drop(from: number, to: number, actual: number, typical: number, lines: number): CountFinding {
  return {
    kind: 'count_drop',
    key: SOURCE_KEY,
    bucket: to,
    fromBucket: from,
    actual,
    typical,
    lines,
    added: lines,
    daily: false,
  };
}

// Human-readable reasons: the explicit rules (pure) and the model's top features, each rendered with
// the numbers that made the event unusual ("latency 4,800 ms, 40x the p50 of GET /api/users").
import type { DetectConfig } from './config.js';
import type { CounterView } from './counter-view.js';
import type { EventKeys } from './event-keys.js';
import { F, FEATURE_NAMES } from './features.js';

/** 12345.6 -> "12,346" (toLocaleString is ~100x slower and this runs per anomaly). */
export function fmt(n: number): string {
  const s = String(Math.abs(Math.round(n)));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return n < -0.5 ? `-${out}` : out;
}
const times = (n: number) => `${fmt(n)} time${Math.round(n) === 1 ? '' : 's'}`;
const ratio = (r: number) => (r >= 10 ? `${Math.round(r)}x` : `${r.toFixed(1)}x`);
const clip = (s: string, n = 60) => (s.length > n ? `${s.slice(0, n)}…` : s);

export type Render = (k: EventKeys, v: CounterView, template: string, windowMs: number) => string | undefined;

function latencyReason(k: EventKeys, v: CounterView): string | undefined {
  if (k.latency === undefined) return undefined;
  const usual = v.usualLatency(k.latKey);
  if (usual === undefined) return `latency ${fmt(k.latency)} ms`;
  const r = k.latency / Math.max(usual, 1);
  const rel = r >= 1 ? `${ratio(r)} the p50` : `1/${ratio(1 / Math.max(r, 1e-6))} of the p50`;
  return `latency ${fmt(k.latency)} ms, ${rel} of ${clip(k.latKey)} (~${fmt(usual)} ms)`;
}

function seen(what: string, n: number, total: number): string {
  return `${what} seen ${times(Math.max(1, n))} in ${fmt(total)} events`;
}

function burstReason(k: EventKeys, v: CounterView, windowMs: number): string {
  const w = v.window(k.bucket);
  return `error burst: ${fmt(w.err)} errors in ${fmt(w.n)} events within ${windowMs / 1000} s`;
}

function surgeReason(k: EventKeys, v: CounterView, windowMs: number): string | undefined {
  const usual = v.usualRate(k.bucket);
  if (!usual) return undefined;
  const per = `per ${windowMs / 1000} s`;
  return `traffic surge: ${ratio(k.rate / usual)} the usual rate (${fmt(k.rate)} events ${per}, usual ~${fmt(usual)})`;
}

/** One renderer per feature, indexed like FEATURE_NAMES. */
export const RENDER: Record<(typeof FEATURE_NAMES)[number], Render> = {
  latency: (k, v) => latencyReason(k, v),
  status: (k) => (k.status !== undefined ? `HTTP ${k.status}` : undefined),
  level: (k) => `level ${['debug', 'info', 'warn', 'error', 'fatal'][k.severity]}`,
  template_rarity: (k, v, t) => `${seen('template', v.template(k.tpl).n, v.total())}: "${clip(t)}"`,
  endpoint_rarity: (k, v) =>
    k.endpoint ? seen(`endpoint ${clip(k.endpoint)}`, v.endpoint(k.endpoint), v.total()) : undefined,
  param_length: (k, v) => {
    const { n, pl } = v.template(k.tpl);
    const usual = n ? 2 ** pl - 1 : 0;
    const text = k.paramLongest ? ` ("${clip(k.paramLongest, 30)}")` : '';
    return `parameter of ${fmt(k.paramMax)} chars${text}, usual ~${fmt(usual)}`;
  },
  message_length: (k, v) => {
    const { n, ml } = v.template(k.tpl);
    const usual = n ? 2 ** ml - 1 : 0;
    return `message of ${fmt(k.msgLen)} chars, usual ~${fmt(usual)} for its template`;
  },
  error_burst: (k, v, _t, w) => burstReason(k, v, w),
  event_rate: (k, v, _t, w) => surgeReason(k, v, w),
};

const NO_REASONS: readonly string[] = Object.freeze([]);

/**
 * Reasons the explicit rules give for one event; empty = the rules see nothing wrong. Runs on every
 * event, so the checks read memoised counters and text is only built for rules that fire.
 */
export function ruleReasons(
  k: EventKeys,
  v: CounterView,
  template: string,
  cfg: DetectConfig,
): readonly string[] {
  // (No closure for the pushes: this runs per event, and one was allocated on every call.)
  let out: string[] | undefined;
  // An error is news when its template (a 5xx: its endpoint) has hardly shown errors before: a FATAL
  // that recurs as part of the routine is not, and a change in how often errors come is an error_rate
  // incident (baseline.ts), not a flag on each line.
  if (k.isError) {
    // Judged against the endpoint (5xx) or the template when its history can tell a rate below
    // LEVEL_RATE, else against the whole source: a first ERROR after 1,000 clean lines is news even
    // in a template never seen before.
    const http = k.status !== undefined && k.status >= 500;
    const ep = http && k.endpoint !== undefined;
    let x = (ep ? k.priorEndpointErrors : k.priorErrors) ?? 0;
    let n = (ep ? k.priorEndpointLines : k.priorLines) ?? 0;
    let where = ep ? clip(k.endpoint!) : 'its template';
    if ((n + 1) * cfg.levelRate < 1) {
      x = k.priorSourceErrors ?? 0;
      n = k.priorSourceLines ?? 0;
      where = 'its source';
    }
    if (unusualError(x, n, cfg)) {
      const what = http
        ? `HTTP ${k.status}`
        : `level ${['debug', 'info', 'warn', 'error', 'fatal'][k.severity]}`;
      const counts = ep && where !== 'its source' ? `5xx in ${fmt(n)} requests` : `errors in ${fmt(n)} lines`;
      (out ??= []).push(`${what}, unusual for ${where} (${fmt(x)} ${counts} before)`);
    }
  }
  if (k.latency !== undefined) {
    const s = v.latencyLog(k.latKey);
    const usual = s?.usual;
    const r = usual === undefined ? 0 : k.latency / Math.max(usual, 1);
    // A baseline of >= 20 requests, and >= LATENCY_MIN_DELTA_MS slower than it: 2 -> 14 ms on a static file is not news.
    const known = usual !== undefined && s!.n >= 20 && k.latency - usual >= cfg.latencyMinDeltaMs;
    // A slow request in the tail (markLatencyTails) where such requests were rare and few, as errors are
    // judged: latencies are heavy-tailed, and an endpoint whose 1 request in 1,000 takes 10x does so as usual.
    const slow = k.latTail === true && unusualError(k.priorTails ?? 0, s?.n ?? 0, cfg);
    if (slow || k.latency >= cfg.latencyExtremeMs) (out ??= []).push(latencyReason(k, v)!);
    else if (known && k.latShift && r >= 2) {
      const shift = `${clip(k.latKey)} is ${ratio(k.latShift.ratio)} slower over its last ${k.latShift.n} requests`;
      (out ??= []).push(`${latencyReason(k, v)}; ${shift}`);
    }
  }
  // Templates new since the warm-up, bursts, surges and error rates are judged per bucket and reported
  // as incidents (baseline.ts, incidents.ts), not on each line; a new or rare endpoint is the line's own.
  const total = v.total();
  // New since the warm-up (a scan's probes), or rare and asked for fewer than LEVEL_ROUTINE times before:
  // an old endpoint that keeps being asked for, however rarely, is part of the routine.
  if (total >= cfg.rareMinEvents && k.endpoint) {
    const n = v.endpoint(k.endpoint);
    const rare = n > 0 && n / total < cfg.rareTemplateRatio && (k.priorEndpointLines ?? 0) < cfg.levelRoutine;
    if (rare || isNew(v.endpointFirstSeen(k.endpoint), total, cfg)) {
      (out ??= []).push(`new or rare ${RENDER.endpoint_rarity(k, v, template, 0)!}`);
    }
  }
  return out ?? NO_REASONS;
}

/**
 * An error is news where errors were rare and few: fewer than LEVEL_ROUTINE before, and a history long
 * enough to say the rate was at most LEVEL_RATE ((errors + 1) / (lines + 1)). A template always at FATAL,
 * or an endpoint failing 1 request in 100, fails as usual.
 */
export function unusualError(errors: number, lines: number, cfg: DetectConfig): boolean {
  return errors < cfg.levelRoutine && (errors + 1) / (lines + 1) <= cfg.levelRate;
}

/**
 * Marks requests in their endpoint's tail (against its baseline: >= 20 requests, >= LATENCY_MIN_DELTA_MS
 * slower than its p50, and 10x it or 3x and LATENCY_Z of its own spread), with the tail requests the endpoint
 * had before each (`xl:` in the norms, then the batch's); returns the batch's count per key for the norms.
 */
export function markLatencyTails(
  keys: EventKeys[],
  base: CounterView,
  stored: ReadonlyMap<string, number>,
  cfg: DetectConfig,
): Map<string, number> {
  const added = new Map<string, number>();
  for (const k of keys) {
    if (k.latency === undefined) continue;
    const s = base.latencyLog(k.latKey);
    if (!s || s.n < 20 || k.latency - s.usual < cfg.latencyMinDeltaMs) continue;
    const r = k.latency / Math.max(s.usual, 1);
    const z = (Math.log2(k.latency + 1) - s.mean) / Math.max(s.sd, 0.25);
    if (!(r >= cfg.latencyFactor || (r >= 3 && z >= cfg.latencyZ))) continue;
    const f = `xl:${k.latKey}`;
    const before = added.get(f) ?? 0;
    k.latTail = true;
    k.priorTails = (stored.get(f) ?? 0) + before;
    added.set(f, before + 1);
  }
  return added;
}

/**
 * The model's reasons plus the rules', each fact said once: a rule's text that restates a model reason
 * (the same, `new or rare ` + it, or it + `; ` more) replaces that reason in place; other rules follow.
 */
export function mergeReasons(model: string[], rules: readonly string[]): string[] {
  for (const r of rules) {
    const i = model.findIndex((m) => r === m || r === `new or rare ${m}` || r.startsWith(`${m}; `));
    if (i >= 0) model[i] = r;
    else model.push(r);
  }
  return model;
}

/** First seen after the warm-up, and less than noveltyEvents ago. */
export function isNew(first: number | undefined, total: number, cfg: DetectConfig): boolean {
  return first !== undefined && first >= cfg.rareMinEvents && total - first < cfg.noveltyEvents;
}

/** Minimum spread per feature, so a feature that never varied in training does not divide by zero. */
// Rarity in log10 units: 1.0 means a template needs to be ~1 in 10,000 to reach z = 4 on its own.
const MIN_SCALE = [0.5, 0.5, 0.5, 1, 1, 0.5, 0.5, 0.05, 0.5];

/** Median and scaled MAD of each feature over the training rows (for z-scores in explanations). */
export function robustStats(data: Float64Array, dims: number): { center: number[]; scale: number[] } {
  const n = data.length / dims;
  const center: number[] = [];
  const scale: number[] = [];
  const col = new Float64Array(n);
  for (let f = 0; f < dims; f++) {
    for (let i = 0; i < n; i++) col[i] = data[i * dims + f];
    col.sort();
    const med = col[n >> 1];
    for (let i = 0; i < n; i++) col[i] = Math.abs(data[i * dims + f] - med);
    col.sort();
    center.push(med);
    scale.push(Math.max(1.4826 * col[n >> 1], MIN_SCALE[f] ?? 0.5));
  }
  return { center, scale };
}

// Latency too is the rules' (against the endpoint's own tail, markLatencyTails), so the model reports
// what no single rule sees: odd parameters, messages and endpoints.
const REPORTABLE = FEATURE_NAMES.map(
  (n) => n === 'endpoint_rarity' || n === 'param_length' || n === 'message_length',
);

/** How far feature f of a vector is from the training median, in robust z (one-sided where only high is odd). */
function featureZ(
  vec: ArrayLike<number>,
  off: number,
  stats: { center: number[]; scale: number[] },
  f: number,
): number {
  // What the model may report: a line's own values. Its level and status are the rules' (against the
  // template's and endpoint's history), rarity, bursts and rates the count baselines' (incidents).
  if (!REPORTABLE[f]) return 0;
  const z = (vec[off + f] - stats.center[f]) / stats.scale[f];
  // Low traffic, few errors, common templates, fast answers and short values are not why a line is odd
  // (a request for `/` has a 1-character parameter where its template's usual one is 17).
  if (
    f === F.event_rate ||
    f === F.error_burst ||
    f === F.template_rarity ||
    f === F.endpoint_rarity ||
    f === F.latency ||
    f === F.param_length ||
    f === F.message_length
  )
    return Math.max(0, z);
  return Math.abs(z);
}

/** The largest featureZ of a vector: the model reports it only at >= MODEL_MIN_Z (same as modelReasons' maxZ). */
export function maxFeatureZ(
  vec: ArrayLike<number>,
  off: number,
  stats: { center: number[]; scale: number[] },
): number {
  let max = 0;
  for (let f = 0; f < FEATURE_NAMES.length; f++) {
    const z = featureZ(vec, off, stats, f);
    if (z > max) max = z;
  }
  return max;
}

/** The model's top features for one vector: largest deviations from the training median, rendered. */
export function modelReasons(
  vec: ArrayLike<number>,
  off: number,
  stats: { center: number[]; scale: number[] },
  k: EventKeys,
  v: CounterView,
  template: string,
  cfg: DetectConfig,
  top = 3,
): { reasons: string[]; maxZ: number } {
  const zs: [number, number][] = [];
  for (let f = 0; f < FEATURE_NAMES.length; f++) zs.push([f, featureZ(vec, off, stats, f)]);
  zs.sort((a, b) => b[1] - a[1]);
  const reasons: string[] = [];
  for (const [f, z] of zs) {
    if (reasons.length >= top || (reasons.length > 0 && z < 2)) break;
    const r = RENDER[FEATURE_NAMES[f]](k, v, template, cfg.windowMs);
    if (r) reasons.push(r);
  }
  return { reasons, maxZ: zs[0][1] };
}

// Human-readable reasons: the explicit rules (pure) and the model's top features, each rendered with
// the numbers that made the event unusual ("latency 4,800 ms, 40x the p50 of GET /api/users").
import type { DetectConfig } from './config.js';
import { type CounterView, type EventKeys, F, FEATURE_NAMES, latencyZ } from './features.js';

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
  if (k.severity >= 3) (out ??= []).push(RENDER.level(k, v, template, cfg.windowMs)!);
  if (k.status !== undefined && k.status >= 500) (out ??= []).push(`HTTP ${k.status}`);
  if (k.latency !== undefined) {
    const s = v.latencyLog(k.latKey);
    const usual = s?.usual;
    const r = usual === undefined ? 0 : k.latency / Math.max(usual, 1);
    // A baseline of >= 20 requests, and >= LATENCY_MIN_DELTA_MS slower than it: 2 -> 14 ms on a static file is not news.
    const known = usual !== undefined && s!.n >= 20 && k.latency - usual >= cfg.latencyMinDeltaMs;
    // 10x the p50, or far out in this endpoint's own spread (z) and at least 3x (a tight endpoint's 2x is not news).
    const slow = known && (r >= cfg.latencyFactor || (r >= 3 && latencyZ(k, v) >= cfg.latencyZ));
    if (slow || k.latency >= cfg.latencyExtremeMs) (out ??= []).push(latencyReason(k, v)!);
    else if (known && k.latShift && r >= 2) {
      const shift = `${clip(k.latKey)} is ${ratio(k.latShift.ratio)} slower over its last ${k.latShift.n} requests`;
      (out ??= []).push(`${latencyReason(k, v)}; ${shift}`);
    }
  }
  const total = v.total();
  if (total >= cfg.rareMinEvents) {
    if (v.template(k.tpl).n / total < cfg.rareTemplateRatio || isNew(v.firstSeen(k.tpl), total, cfg)) {
      (out ??= []).push(`new or rare ${RENDER.template_rarity(k, v, template, 0)!}`);
    }
    if (k.endpoint) {
      const n = v.endpoint(k.endpoint);
      if (
        (n > 0 && n / total < cfg.rareTemplateRatio) ||
        isNew(v.endpointFirstSeen(k.endpoint), total, cfg)
      ) {
        (out ??= []).push(`new or rare ${RENDER.endpoint_rarity(k, v, template, 0)!}`);
      }
    }
  }
  if (k.isError) {
    const w = v.window(k.bucket);
    if (w.err >= cfg.burstMinErrors && w.err / w.n >= cfg.burstErrorRate)
      (out ??= []).push(burstReason(k, v, cfg.windowMs));
  }
  if (k.rateCount >= 10) {
    const usual = v.usualRate(k.bucket);
    if (usual && k.rate >= cfg.surgeFactor * usual) (out ??= []).push(surgeReason(k, v, cfg.windowMs)!);
  }
  return out ?? NO_REASONS;
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
function isNew(first: number | undefined, total: number, cfg: DetectConfig): boolean {
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

/** How far feature f of a vector is from the training median, in robust z (one-sided where only high is odd). */
function featureZ(
  vec: ArrayLike<number>,
  off: number,
  stats: { center: number[]; scale: number[] },
  f: number,
): number {
  const z = (vec[off + f] - stats.center[f]) / stats.scale[f];
  // Low traffic, few errors, common templates and fast answers are not why a line is odd.
  if (
    f === F.event_rate ||
    f === F.error_burst ||
    f === F.template_rarity ||
    f === F.endpoint_rarity ||
    f === F.latency
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

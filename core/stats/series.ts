// The time series of the stats document (pure): packed throughput and latency hashes parsed, and turned
// into points no more than MAX_SERIES_POINTS long.
import { percentilesOf } from './aggregate.js';
import type { LatencyPoint, ThroughputPoint } from './doc.js';
import { addTo, type Histogram, mergeInto } from './histogram.js';
import { HOUR_MS, MINUTE_MS } from './keys.js';

/** Points in a series at most; longer series are summed into wider slots. */
export const MAX_SERIES_POINTS = 360;

/** A stored integer field; anything else reads as 0. */
export function int(v: string | undefined): number {
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/** Packed throughput of one minute (per second) or one hour (per minute): events and anomalies per slot. */
export interface Slots {
  n: number[];
  a: number[];
}

/** Parses a packed throughput hash (`n|<i>`, `a|<i>`, i in 0..59). */
export function parseSlots(h: Record<string, string>): Slots {
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
export function downsample(
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

function point(t: number, h: Histogram): LatencyPoint {
  const p = percentilesOf(h, 0, 0);
  return { t, count: p.count, p50_ms: p.p50_ms, p95_ms: p.p95_ms, p99_ms: p.p99_ms };
}

/** Parses a packed per-minute latency hash (`<minute>|<bucket>` fields) into minute -> histogram. */
export function parseLatencyMinutes(h: Record<string, string>): Map<number, Histogram> {
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
export function minuteLatencySeries(
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
export function hourLatencySeries(parts: (readonly [number, Histogram])[]): {
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

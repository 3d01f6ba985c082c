// Anomaly scenarios: resolving a request's scenarios into concrete time windows (the ground truth),
// with defaults that place each one inside the simulated span.
import type { SystemName } from './model.js';
import { Rng } from './rng.js';

export const SCENARIOS = [
  'error-burst',
  'latency-spike',
  'new-template',
  'endpoint-scan',
  'traffic-surge',
  'silence',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioSpec {
  name: ScenarioName;
  /** Seconds after startTime; default 40% into the simulated span. */
  at?: number;
  /** Default 10% of the simulated span, between 1 s and 300 s. */
  durationSec?: number;
  /** Default: web for scans when simulated, else the first simulated system. */
  system?: SystemName;
}

/** One scenario as it is applied: a window on one system. This is the ground truth for scoring. */
export interface ResolvedScenario {
  name: ScenarioName;
  system: SystemName;
  startMs: number;
  endMs: number;
  /** latency-spike: the endpoint (or query) it hits. */
  target?: string;
  /** latency-spike: latency multiplier (20-100x, varied +-20% per line). */
  factor?: number;
}

/** Share of a burst window's lines that are errors. */
export const BURST_ERROR_SHARE = 0.6;
/** Share of lines carrying the never-seen message during a new-template window. */
export const NOVEL_SHARE = 0.05;
/** Share of lines that are probes during a scan; the scanner adds traffic on top (rate x SCAN_RATE). */
export const SCAN_SHARE = 1 / 3;
export const SCAN_RATE = 1.5;
/** Traffic-surge rate multiplier. */
export const SURGE_RATE = 10;

export function resolveScenarios(
  specs: readonly ScenarioSpec[],
  opts: {
    systems: readonly SystemName[];
    startTime: number;
    spanSec: number;
    seed: number;
    targets: (s: SystemName) => readonly string[];
  },
): ResolvedScenario[] {
  const rng = new Rng(opts.seed ^ 0x5ce7a110);
  return specs.map((s) => {
    const system = s.system ?? defaultSystem(s.name, opts.systems);
    const at = s.at ?? opts.spanSec * 0.4;
    const dur = s.durationSec ?? Math.min(300, Math.max(1, opts.spanSec * 0.1));
    const r: ResolvedScenario = {
      name: s.name,
      system,
      startMs: opts.startTime + at * 1000,
      endMs: opts.startTime + (at + dur) * 1000,
    };
    if (s.name === 'latency-spike') {
      r.target = rng.pick(opts.targets(system));
      r.factor = Math.round(20 + rng.next() * 80);
    }
    return r;
  });
}

function defaultSystem(name: ScenarioName, systems: readonly SystemName[]): SystemName {
  if (name === 'endpoint-scan' && systems.includes('web')) return 'web';
  if (name === 'latency-spike' && systems.includes('api')) return 'api';
  return systems[0];
}

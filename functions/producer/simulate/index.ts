// Deterministic log simulator: three systems (web, api, db) with realistic traffic, plus labelled
// anomaly scenarios as ground truth for scoring detectors. Pure: no I/O, no clock, no Node imports.
import { simulatedSource } from '../../../core/simulated.js';
import { createApiModel } from './api.js';
import { dailyRhythm } from './clock.js';
import { createDbModel } from './db.js';
import type { SystemModel, SystemName } from './model.js';
import { Rng } from './rng.js';
import {
  BURST_ERROR_SHARE,
  NOVEL_SHARE,
  type ResolvedScenario,
  resolveScenarios,
  SCAN_RATE,
  SCAN_SHARE,
  type ScenarioName,
  type ScenarioSpec,
  SURGE_RATE,
} from './scenarios.js';
import { createWebModel } from './web.js';

export { SYSTEMS } from './model.js';
export { SCENARIOS } from './scenarios.js';
export type { ResolvedScenario, ScenarioName, ScenarioSpec, SystemName };

export interface SimLine {
  system: SystemName;
  source: string;
  line: string;
  /** The scenario that produced or altered this line; null for normal traffic. Detectors never see it. */
  label: string | null;
  /** Simulated epoch ms; the line's own timestamp text is this time. */
  ts: number;
}

export interface SimulationRequest {
  systems?: SystemName[];
  /** Stop after this many lines (default 1000 when durationSec is absent too). */
  lines?: number;
  /** Stop at this many simulated seconds after startTime. */
  durationSec?: number;
  /** Lines per second at startTime, all systems together (default 100). */
  rate?: number;
  scenarios?: ScenarioSpec[];
  seed?: number;
  /** Epoch ms of the first line (default 2026-02-07T00:00:00Z, so runs are reproducible). */
  startTime?: number;
  /** Let the rate follow the time of day (default true; the rate at startTime stays `rate`). */
  dailyRhythm?: boolean;
}

export const DEFAULT_RATE = 100;
export const DEFAULT_LINES = 1000;
export const DEFAULT_SEED = 1;
export const DEFAULT_START = Date.UTC(2026, 1, 7, 0, 0, 0);
/** Share of traffic per system when several are simulated (a web front, its API, its database). */
const SHARE: Record<SystemName, number> = { web: 0.5, api: 0.35, db: 0.15 };
const MODELS: Record<SystemName, (r: Rng) => SystemModel> = {
  web: createWebModel,
  api: createApiModel,
  db: createDbModel,
};

interface Plan {
  systems: SystemName[];
  rate: number;
  lines: number;
  startTime: number;
  endMs: number;
  seed: number;
  rhythm: boolean;
  scenarios: ResolvedScenario[];
}

/** The resolved parameters of a request, including each scenario's window (the ground truth). */
export function planSimulation(req: SimulationRequest): Plan {
  const systems = req.systems?.length
    ? [...new Set(req.systems)]
    : ['web' as const, 'api' as const, 'db' as const];
  const rate = req.rate ?? DEFAULT_RATE;
  const lines = req.lines ?? (req.durationSec === undefined ? DEFAULT_LINES : Number.POSITIVE_INFINITY);
  const startTime = req.startTime ?? DEFAULT_START;
  const seed = req.seed ?? DEFAULT_SEED;
  const spanSec = req.durationSec ?? lines / rate;
  const endMs = req.durationSec === undefined ? Number.POSITIVE_INFINITY : startTime + req.durationSec * 1000;
  const scenarios = resolveScenarios(req.scenarios ?? [], {
    systems,
    startTime,
    spanSec,
    seed,
    targets: (s) => MODELS[s](new Rng(0)).spikeTargets,
  });
  return { systems, rate, lines, startTime, endMs, seed, rhythm: req.dailyRhythm ?? true, scenarios };
}

/** Lines in time order, lazily: a 10M-line simulation costs no more memory than a 10-line one. */
export function* simulate(req: SimulationRequest): Generator<SimLine> {
  const plan = planSimulation(req);
  const { systems, rate, startTime } = plan;
  const n = systems.length;
  const totalShare = systems.reduce((s, x) => s + SHARE[x], 0);
  const models = systems.map((s, i) => MODELS[s](new Rng(plan.seed * 7919 + i + 1)));
  const clock = new Rng(plan.seed);
  const meanGap = systems.map((s) => 1000 / ((rate * SHARE[s]) / totalShare));
  const byS = systems.map((s) => plan.scenarios.filter((x) => x.system === s));
  const rhythm0 = dailyRhythm(startTime);
  const next = meanGap.map((g) => startTime + clock.exp(g));
  const afterSilence = systems.map(() => false);

  for (let emitted = 0; emitted < plan.lines; emitted++) {
    let i = 0;
    for (let j = 1; j < n; j++) if (next[j] < next[i]) i = j;
    const t = next[i];
    if (t >= plan.endMs) return;
    const ts = Math.floor(t);
    const model = models[i];
    let mult = plan.rhythm ? dailyRhythm(t) / rhythm0 : 1;
    let burst = false;
    let novel = false;
    let scan = false;
    let surge = false;
    let silentUntil = 0;
    let spike: ResolvedScenario | null = null;
    for (const sc of byS[i]) {
      if (t < sc.startMs || t >= sc.endMs) continue;
      switch (sc.name) {
        case 'error-burst':
          burst = true;
          break;
        case 'new-template':
          novel = true;
          break;
        case 'endpoint-scan':
          scan = true;
          mult *= SCAN_RATE;
          break;
        case 'traffic-surge':
          surge = true;
          mult *= SURGE_RATE;
          break;
        case 'silence':
          silentUntil = Math.max(silentUntil, sc.endMs);
          break;
        case 'latency-spike':
          spike = sc;
          break;
      }
    }
    if (silentUntil > 0) {
      // The service says nothing until the window ends; its first line afterwards carries the label.
      next[i] = silentUntil + clock.exp(meanGap[i]);
      afterSilence[i] = true;
      emitted--;
      continue;
    }
    next[i] = t + clock.exp(meanGap[i] / mult);

    let line: string;
    let label: ScenarioName | null = null;
    const x = clock.next();
    if (scan && x < SCAN_SHARE) {
      line = model.scan(ts);
      label = 'endpoint-scan';
    } else if (burst && x < BURST_ERROR_SHARE) {
      line = model.error(ts);
      label = 'error-burst';
    } else if (novel && x < NOVEL_SHARE) {
      line = model.novel(ts);
      label = 'new-template';
    } else {
      line = spike ? model.normal(ts, spike.target ?? null, spike.factor ?? 1) : model.normal(ts, null, 1);
      if (spike && model.spiked) label = 'latency-spike';
      else if (surge) label = 'traffic-surge';
      else if (afterSilence[i]) label = 'silence';
    }
    afterSilence[i] = false;
    yield { system: systems[i], source: simulatedSource(systems[i]), line, label, ts };
  }
}

// Checks an untrusted simulation request (JSON) and lists every problem at once.

import type { SimulationRequest } from './index.js';
import { SYSTEMS } from './model.js';
import { SCENARIOS } from './scenarios.js';

/** Bounds a request can ask for; the handler adds its own line limit. */
export const MAX_RATE = 10_000_000;

export type Validated = { ok: true; request: SimulationRequest } | { ok: false; errors: string[] };

const KEYS = ['systems', 'lines', 'durationSec', 'rate', 'scenarios', 'seed', 'startTime', 'dailyRhythm'];

/** `extraKeys` are accepted and ignored (the handler's own options such as `publish`). */
export function validateSimulationRequest(x: unknown, extraKeys: readonly string[] = []): Validated {
  if (typeof x !== 'object' || x === null || Array.isArray(x))
    return { ok: false, errors: ['request must be a JSON object'] };
  const o = x as Record<string, unknown>;
  const errors: string[] = [];
  for (const k of Object.keys(o))
    if (!KEYS.includes(k) && !extraKeys.includes(k)) errors.push(`unknown field ${k}`);
  const posInt = (k: string) =>
    o[k] === undefined ||
    (Number.isInteger(o[k]) && (o[k] as number) > 0) ||
    !errors.push(`${k} must be a positive integer`);
  const posNum = (k: string, max = Infinity) =>
    o[k] === undefined ||
    (typeof o[k] === 'number' && (o[k] as number) > 0 && (o[k] as number) <= max) ||
    !errors.push(`${k} must be a number in (0, ${max}]`);
  posInt('lines');
  posNum('durationSec');
  posNum('rate', MAX_RATE);
  if (o.seed !== undefined && !Number.isInteger(o.seed)) errors.push('seed must be an integer');
  if (
    o.startTime !== undefined &&
    !(typeof o.startTime === 'number' && Number.isFinite(o.startTime) && o.startTime >= 0)
  ) {
    errors.push('startTime must be epoch milliseconds');
  }
  if (o.dailyRhythm !== undefined && typeof o.dailyRhythm !== 'boolean')
    errors.push('dailyRhythm must be true or false');
  const systems = o.systems === undefined ? SYSTEMS : o.systems;
  if (
    !Array.isArray(systems) ||
    systems.length === 0 ||
    !systems.every((s) => (SYSTEMS as readonly unknown[]).includes(s))
  ) {
    errors.push(`systems must be a non-empty list of ${SYSTEMS.join(', ')}`);
  }
  if (o.scenarios !== undefined) {
    if (!Array.isArray(o.scenarios)) errors.push('scenarios must be a list');
    else
      o.scenarios.forEach((s: unknown, i) => {
        const sc = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
        if (!(SCENARIOS as readonly unknown[]).includes(sc.name))
          errors.push(`scenarios[${i}].name must be one of ${SCENARIOS.join(', ')}`);
        if (sc.at !== undefined && !(typeof sc.at === 'number' && sc.at >= 0))
          errors.push(`scenarios[${i}].at must be seconds >= 0`);
        if (sc.durationSec !== undefined && !(typeof sc.durationSec === 'number' && sc.durationSec > 0)) {
          errors.push(`scenarios[${i}].durationSec must be > 0`);
        }
        if (sc.system !== undefined && !(Array.isArray(systems) && systems.includes(sc.system))) {
          errors.push(`scenarios[${i}].system must be one of the simulated systems`);
        }
      });
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, request: o as SimulationRequest };
}

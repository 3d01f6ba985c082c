import { describe, expect, it } from 'vitest';
import { planSimulation, SCENARIOS, type SimLine, simulate } from './index.js';
import { validateSimulationRequest } from './validate.js';

const COMBINED =
  /^(\S+) - (\S+) \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000\] "(\S+) (\S+) HTTP\/1\.1" (\d{3}) (\d+) "([^"]*)" "([^"]*)" (\d+\.\d{3})$/;
const DB =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) db\[pool-\d\] (LOG {2}|WARN {2}|ERROR: |FATAL: |PANIC: )/;
const take = (req: Parameters<typeof simulate>[0]): SimLine[] => [...simulate(req)];

describe('simulate', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = take({ lines: 500, seed: 7, scenarios: [{ name: 'error-burst' }] });
    const b = take({ lines: 500, seed: 7, scenarios: [{ name: 'error-burst' }] });
    const c = take({ lines: 500, seed: 8, scenarios: [{ name: 'error-burst' }] });
    expect(a).toEqual(b);
    expect(a.map((l) => l.line)).not.toEqual(c.map((l) => l.line));
  });

  it('writes parseable lines whose timestamp text matches ts', () => {
    const lines = take({ lines: 1500, seed: 1 });
    expect(new Set(lines.map((l) => l.system))).toEqual(new Set(['web', 'api', 'db']));
    for (const l of lines) {
      expect(l.source).toBe(`sim-${l.system}`);
      expect(l.label).toBeNull();
      if (l.system === 'web') {
        const m = COMBINED.exec(l.line);
        expect(m, l.line).not.toBeNull();
        const iso = new Date(Math.floor(l.ts / 1000) * 1000).toISOString();
        expect(`${m![5]}-${m![6]}-${m![7]}`.length).toBeGreaterThan(0);
        expect(`${m![6]}:${m![7]}:${m![8]}`).toBe(iso.slice(11, 19));
      } else if (l.system === 'api') {
        const j = JSON.parse(l.line);
        expect(Object.keys(j).slice(0, 8)).toEqual([
          'ts',
          'level',
          'service',
          'method',
          'path',
          'status',
          'latency_ms',
          'msg',
        ]);
        expect(Date.parse(j.ts)).toBe(l.ts);
      } else {
        const m = DB.exec(l.line);
        expect(m, l.line).not.toBeNull();
        expect(Date.parse(m![1])).toBe(l.ts);
      }
    }
  });

  it('keeps the requested rate and time order', () => {
    const lines = take({ lines: 20_000, rate: 1000, seed: 2, dailyRhythm: false, startTime: 0 });
    expect(lines).toHaveLength(20_000);
    expect(lines.every((l, i) => i === 0 || l.ts >= lines[i - 1].ts)).toBe(true);
    const spanSec = lines[lines.length - 1].ts / 1000;
    expect(spanSec).toBeGreaterThan(19);
    expect(spanSec).toBeLessThan(21);
  });

  it('stops at durationSec', () => {
    const lines = take({ durationSec: 10, rate: 200, seed: 3, startTime: 0, dailyRhythm: false });
    expect(lines.length).toBeGreaterThan(1800);
    expect(lines.length).toBeLessThan(2200);
    expect(lines.every((l) => l.ts < 10_000)).toBe(true);
  });

  it.each(SCENARIOS.map((s) => [s]))('labels %s lines inside the scenario window only', (name) => {
    const req = { lines: 8000, rate: 200, seed: 5, scenarios: [{ name, at: 10, durationSec: 10 }] };
    const [win] = planSimulation(req).scenarios;
    const labelled = take(req).filter((l) => l.label !== null);
    expect(labelled.length).toBeGreaterThan(0);
    for (const l of labelled) {
      expect(l.label).toBe(name);
      expect(l.system).toBe(win.system);
      if (name === 'silence') expect(l.ts).toBeGreaterThanOrEqual(win.endMs);
      else expect(l.ts >= win.startMs && l.ts < win.endMs).toBe(true);
    }
  });

  it('makes a latency spike 20-100x the normal latency on one endpoint', () => {
    const req = {
      systems: ['api' as const],
      lines: 30_000,
      rate: 200,
      seed: 7,
      scenarios: [{ name: 'latency-spike' as const }],
    };
    const [win] = planSimulation(req).scenarios;
    const lines = take(req);
    const lat = (label: string | null) =>
      lines
        .filter((l) => l.label === label)
        .map((l) => JSON.parse(l.line))
        .filter((j) => `${j.method} ${j.path.replace(/\/\d+/g, '/{id}')}` === win.target)
        .map((j) => j.latency_ms as number)
        .sort((a, b) => a - b);
    const normal = lat(null);
    const spiked = lat('latency-spike');
    const median = (xs: number[]) => xs[Math.floor(xs.length / 2)];
    expect(spiked.length).toBeGreaterThan(100);
    expect(median(spiked) / median(normal)).toBeGreaterThan(15);
  });

  it('surges traffic tenfold on the target system', () => {
    const req = {
      systems: ['api' as const],
      durationSec: 60,
      rate: 100,
      seed: 4,
      dailyRhythm: false,
      scenarios: [{ name: 'traffic-surge' as const, at: 20, durationSec: 10 }],
    };
    const lines = take(req);
    const inWindow = lines.filter((l) => l.label === 'traffic-surge').length;
    expect(inWindow / 10).toBeGreaterThan(700);
  });

  // A smoke bound only: the machine is shared, so the real figure (~350k lines/s) comes from the bench.
  it('is fast enough to drive a benchmark', () => {
    const t0 = performance.now();
    let n = 0;
    for (const _ of simulate({
      lines: 100_000,
      rate: 100_000,
      seed: 1,
      scenarios: [{ name: 'error-burst' }],
    }))
      n++;
    const perSec = n / ((performance.now() - t0) / 1000);
    expect(perSec).toBeGreaterThan(30_000);
  });
});

describe('validateSimulationRequest', () => {
  it('accepts a full request', () => {
    const r = validateSimulationRequest({
      systems: ['api'],
      lines: 10,
      rate: 5,
      seed: 1,
      scenarios: [{ name: 'silence', at: 1, durationSec: 2, system: 'api' }],
    });
    expect(r.ok).toBe(true);
  });
  it('lists every problem', () => {
    const r = validateSimulationRequest({
      systems: ['ftp'],
      lines: -1,
      rate: 'fast',
      scenarios: [{ name: 'meteor' }],
      bogus: 1,
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors).toEqual(
        expect.arrayContaining([
          'unknown field bogus',
          'lines must be a positive integer',
          expect.stringContaining('rate must be'),
          expect.stringContaining('systems must be'),
          expect.stringContaining('scenarios[0].name'),
        ]),
      );
    }
  });
});

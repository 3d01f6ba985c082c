import { describe, expect, it } from 'vitest';
import { covers, INCIDENT_CAPS, type Incident } from '../../core/incident.js';
import { baselineOptions, type CountFinding, judgeCounts, SOURCE_KEY } from './baseline.js';
import { DEFAULT_DETECT } from './config.js';
import type { EventKeys } from './event-keys.js';
import { type IncidentContext, type LineFinding, updateIncidents } from './incidents.js';

const W = DEFAULT_DETECT.windowMs;
const T0 = Date.UTC(2026, 1, 7, 9);

function key(ts: number, tpl = 't1', isError = false): EventKeys {
  return {
    tpl,
    latKey: tpl,
    severity: isError ? 3 : 1,
    isError,
    bucket: Math.floor(ts / W),
    ts,
    rate: 0,
    rateCount: 0,
    msgLen: 10,
    paramMax: 0,
  };
}

/** Runs batches of keys through judgeCounts, folding each batch's state into the stored map. */
function run(batches: EventKeys[][]) {
  const stored = { stats: new Map<string, number>(), packed: new Map<string, string>() };
  const findings: CountFinding[][] = [];
  for (const b of batches) {
    const r = judgeCounts(b, stored, () => true, baselineOptions(DEFAULT_DETECT));
    for (const [f, v] of r.sets) stored.stats.set(f, v);
    for (const [f, v] of r.packedSets) stored.packed.set(f, v);
    findings.push(r.findings);
  }
  return { stored, findings };
}

/** `perBucket` lines in each of `buckets` buckets from `from`, one batch per bucket. */
const steady = (from: number, buckets: number, perBucket: number, tpl = 't1', errEvery = 0) =>
  Array.from({ length: buckets }, (_, b) =>
    Array.from({ length: perBucket }, (_, i) =>
      key(from + b * W + (i * W) / perBucket, tpl, errEvery > 0 && i % errEvery === 0),
    ),
  );

describe('count baselines', () => {
  it('judge nothing before 10 non-empty buckets, then a 10x bucket once as it fills', () => {
    const { findings } = run([...steady(T0, 30, 20), steady(T0 + 30 * W, 1, 200)[0]]);
    expect(findings.slice(0, 30).flat()).toEqual([]);
    const spikes = findings[30].filter((f) => f.kind === 'count_spike');
    expect(spikes.map((f) => f.key).sort()).toEqual([SOURCE_KEY, 't1']);
    expect(spikes[0]).toMatchObject({ actual: 200, lines: 200 });
  });

  it('a bursty source (silent for days, then hundreds of lines) has bursts as its normal', () => {
    const runs = Array.from({ length: 12 }, (_, d) =>
      steady(T0 + d * 86_400_000, 3, 50 + 40 * (d % 3)).flat(),
    );
    const { findings } = run(runs);
    expect(findings.flat()).toEqual([]);
  });

  it('reports empty buckets of a continuous source as a drop when it comes back', () => {
    const before = steady(T0, 20, 30);
    const after = steady(T0 + 26 * W, 1, 30);
    const { findings } = run([...before, ...after]);
    const drops = findings.flat().filter((f) => f.kind === 'count_drop');
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({
      fromBucket: Math.floor(T0 / W) + 20,
      bucket: Math.floor(T0 / W) + 25,
      actual: 0,
    });
  });

  it('an error-rate shift: 5 errors and far above the usual share', () => {
    const { findings } = run([...steady(T0, 20, 40, 't1', 40), steady(T0 + 20 * W, 1, 40, 't1', 2)[0]]);
    const err = findings[20].filter((f) => f.kind === 'error_rate');
    expect(err).toHaveLength(1);
    expect(err[0].actual).toBe(0.5);
    expect(err[0].typical).toBeCloseTo(0.025, 3);
  });

  it('uses the hour of day once the source has two days of history', () => {
    // 2 days of 6 buckets an hour: 5 lines a bucket at night (hours 0-5), 100 by day.
    const day = (d: number) =>
      Array.from({ length: 24 * 6 }, (_, k) => {
        const h = Math.floor(k / 6);
        const n = h < 6 ? 5 : 100;
        return Array.from({ length: n }, (_, i) =>
          key(Date.UTC(2026, 1, 1 + d, h) + (k % 6) * W + (i * W) / n),
        );
      });
    const { stored } = run([...day(0), ...day(1)]);
    // A night bucket of 40 lines: 8x the night's ~5, half the day's ~100.
    const night = Array.from({ length: 40 }, (_, i) => key(Date.UTC(2026, 1, 3, 2, 0, i / 4)));
    const r = judgeCounts(night, stored, () => true, baselineOptions(DEFAULT_DETECT));
    const spike = r.findings.find((f) => f.kind === 'count_spike' && f.key === SOURCE_KEY);
    expect(spike).toMatchObject({ daily: true, actual: 40 });
  });
});

const ctx = (over: Partial<IncidentContext> = {}): IncidentContext => ({
  source: 's',
  now: T0,
  windowMs: W,
  quietMs: DEFAULT_DETECT.incidentQuietMs,
  sourceTime: T0,
  templateText: (t) => `text of ${t}`,
  examplesOf: (k, b) => [`line of ${k} in ${b}`],
  ...over,
});

const spike = (key: string, bucket: number, lines = 100): CountFinding => ({
  kind: 'count_spike',
  key,
  bucket,
  fromBucket: bucket,
  actual: lines,
  typical: 10,
  lines,
  added: lines,
  daily: false,
});

const line = (kind: LineFinding['kind'], templateId: string, ts: number): LineFinding => ({
  kind,
  templateId,
  template: `text of ${templateId}`,
  ts,
  raw: `raw ${templateId} ${ts}`,
  reasons: kind === 'event_anomaly' ? ['HTTP 500, unusual'] : [],
});

describe('incidents', () => {
  const b0 = Math.floor(T0 / W);

  it('one incident for a burst: template spikes in a source spike are folded in, later buckets add up', () => {
    const first = updateIncidents(new Map(), [spike(SOURCE_KEY, b0, 500), spike('t1', b0, 300)], [], ctx());
    expect([...first.open.values()]).toHaveLength(1);
    const next = updateIncidents(
      first.open,
      [spike(SOURCE_KEY, b0 + 1, 400)],
      [],
      ctx({ sourceTime: T0 + W }),
    );
    const [inc] = next.open.values();
    expect(inc).toMatchObject({ kind: 'count_spike', count: 900, actual: 500, status: 'open' });
    expect(inc.templateId).toBeUndefined();
    expect(inc.reasons[0]).toBe('count spike: 500 lines per 10 s, typical ~10 (50x)');
    expect(inc.reasons[1]).toBe('template "text of t1": 300 lines, typical ~10');
    expect(inc.lastTs).toBe(new Date((b0 + 1) * W).toISOString());
  });

  it('templates spiking while the source does not share one incident, covering only their lines', () => {
    const u = updateIncidents(new Map(), [spike('t1', b0, 40), spike('t2', b0, 30)], [], ctx());
    const [inc] = u.open.values();
    expect(inc.templateIds).toEqual(['t1', 't2']);
    const at = b0 * W + 5000;
    expect(covers(inc, { source: 's', templateId: 't2', ts: at, isError: false }, W)).toBe(true);
    expect(covers(inc, { source: 's', templateId: 't3', ts: at, isError: false }, W)).toBe(false);
    expect(covers(inc, { source: 's', templateId: 't1', ts: at + W, isError: false }, W)).toBe(false);
  });

  it('new templates group per source and close after a quiet gap, even inside one batch', () => {
    const months = 30 * 86_400_000;
    const u = updateIncidents(
      new Map(),
      [],
      [
        line('new_template', 'a', T0),
        line('new_template', 'b', T0 + 1000),
        line('new_template', 'c', T0 + months),
      ],
      ctx({ sourceTime: T0 + months }),
    );
    expect(u.closed).toHaveLength(1);
    expect(u.closed[0]).toMatchObject({ status: 'closed', templateIds: ['a', 'b'], count: 2 });
    expect(u.closed[0].reasons[0]).toBe('2 templates never seen before, 2 lines');
    const [open] = u.open.values();
    expect(open).toMatchObject({ templateIds: ['c'], status: 'open' });
    expect(open.id).not.toBe(u.closed[0].id);
  });

  it('a new template past NEW_TEMPLATE_GAP after the latest new-template incident grew opens its own; its recurrences rejoin it', () => {
    const gap = { newTemplateGapMs: 20_000 };
    const u = updateIncidents(
      new Map(),
      [],
      [
        line('new_template', 'a', T0),
        line('new_template', 'b', T0 + 5_000),
        line('new_template', 'c', T0 + 60_000),
        line('new_template', 'a', T0 + 61_000),
        line('new_template', 'd', T0 + 70_000),
      ],
      ctx({ sourceTime: T0 + 70_000, ...gap }),
    );
    const open = [...u.open.values()].sort((x, y) => x.firstTs.localeCompare(y.firstTs));
    expect(open.map((x) => [x.templateIds, x.count])).toEqual([
      [['a', 'b', 'd'], 4],
      [['c'], 1],
    ]);
    // 'a' came back at +61 s and its incident grew; 'd' at +70 s is within the gap of both and joins the latest.
    expect(open[0].lastTs).toBe(new Date(T0 + 70_000).toISOString());
    // An incident gone quiet (INCIDENT_QUIET) is closed before a recurrence of its template, which opens a new one.
    const later = T0 + 70_000 + DEFAULT_DETECT.incidentQuietMs + 1;
    const v = updateIncidents(
      u.open,
      [],
      [line('new_template', 'a', later)],
      ctx({ sourceTime: later, ...gap }),
    );
    expect(v.closed).toHaveLength(2);
    expect([...v.open.values()].map((x) => x.templateIds)).toEqual([['a']]);
  });

  it('bounds examples, reasons and open incidents; past the cap line anomalies share one per source', () => {
    const many = Array.from({ length: 80 }, (_, i) => line('event_anomaly', `t${i}`, T0 + i));
    const u = updateIncidents(new Map(), [], many, ctx());
    expect(u.open.size).toBe(INCIDENT_CAPS.openPerSource - 10 + 1);
    const shared = [...u.open.values()].find((x) => x.templateId === undefined)!;
    expect(shared.count).toBe(80 - (INCIDENT_CAPS.openPerSource - 10));
    expect(shared.examples).toHaveLength(INCIDENT_CAPS.examples);
    // Count incidents still open past the line anomalies' share.
    const v = updateIncidents(u.open, [spike(SOURCE_KEY, b0)], [], ctx());
    expect([...v.open.values()].some((x: Incident) => x.kind === 'count_spike')).toBe(true);
  });

  it('the same findings give the same ids', () => {
    const a = updateIncidents(new Map(), [spike(SOURCE_KEY, b0)], [line('new_template', 'x', T0)], ctx());
    const b = updateIncidents(
      new Map(),
      [spike(SOURCE_KEY, b0)],
      [line('new_template', 'x', T0)],
      ctx({ now: T0 + 5 }),
    );
    expect([...a.open.values()].map((x) => x.id)).toEqual([...b.open.values()].map((x) => x.id));
  });
});

import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../core/event.js';
import { DEFAULT_DETECT } from './config.js';
import { CounterView } from './counter-view.js';
import { emptyCounters, type SourceCounters } from './counters.js';
import { batchDeltas, NORM_HORIZON } from './deltas.js';
import { detectSource, judge } from './detect.js';
import { keysOf } from './event-keys.js';
import { fmt } from './explain.js';
import { fitModel } from './fit.js';
import { localRate } from './rates.js';
import { reservoirPicks } from './state.js';

const T0 = Date.UTC(2026, 1, 7);

function req(ms: number, at: number, path = '/api/search', level: LogEvent['level'] = 'info'): LogEvent {
  return {
    v: 1,
    timestamp: new Date(T0 + at).toISOString(),
    source: 's',
    level,
    message: 'request completed',
    format: 'json',
    templateId: 't1',
    template: 'request completed',
    params: [],
    raw: '',
    http: { method: 'GET', path, status: 200, latency_ms: ms },
  };
}

/**
 * Runs batches through detectSource, folding each batch's increments into the counters (as the KV would);
 * `firstKept` leaves out the write-once fields it rejects (a store from before they existed).
 */
function stream(batches: LogEvent[][], firstKept: (field: string) => boolean = () => true) {
  const base: SourceCounters = emptyCounters();
  const out = [];
  for (const b of batches) {
    const r = detectSource(b, base, undefined, DEFAULT_DETECT, T0);
    for (const [k, v] of r.deltas.stats) base.stats.set(k, (base.stats.get(k) ?? 0) + v);
    for (const [k, v] of r.deltas.sets ?? []) base.stats.set(k, v);
    for (const [k, v] of r.deltas.packed ?? []) (base.packed ??= new Map()).set(k, v);
    for (const [k, v] of r.deltas.firsts ?? []) if (!base.stats.has(k) && firstKept(k)) base.stats.set(k, v);
    for (const [bk, w] of r.deltas.windows) {
      const x = base.windows.get(bk) ?? { n: 0, err: 0 };
      base.windows.set(bk, { n: x.n + w.n, err: x.err + w.err });
    }
    out.push(r);
  }
  return out;
}

const lognormal = (i: number, median: number) => median * Math.exp(0.5 * Math.sin(i * 12.9898) * 1.5);

describe('pure helpers', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [1234567.4, '1,234,567'],
    [-4800, '-4,800'],
  ])('fmt(%d) = %s', (n, want) => expect(fmt(n)).toBe(want));

  it('localRate counts the last 500 ms of the batch and says whether the batch covers it', () => {
    const ts = Float64Array.from({ length: 40 }, (_, i) => i * 25); // 40/s over 1 s
    expect(localRate(ts, 975, 10_000)).toEqual({ rate: 400, count: 20, covered: true });
    expect(localRate(ts, 100, 10_000)).toBeUndefined(); // 5 events: too few to call a rate
  });
});

describe('detectSource over a stream', () => {
  it('reports a sustained latency shift even when no single request is 10x', () => {
    const normal = Array.from({ length: 4 }, (_, b) =>
      Array.from({ length: 100 }, (_, i) => req(lognormal(b * 100 + i, 180), (b * 100 + i) * 100)),
    );
    const spiked = Array.from({ length: 20 }, (_, i) => req(900 + 20 * i, 40_000 + i * 100));
    const [, , , , last] = stream([...normal, spiked]);
    expect(last.anomalies.length).toBeGreaterThanOrEqual(18);
    expect(last.anomalies[10].reasons[0]).toMatch(
      /GET \/api\/search is \d+\.\dx slower over its last 20 requests/,
    );
  });

  it('reports a 10x surge as one count finding of the source, not as flagged lines', () => {
    // 30 windows of 10 s at 5 events/s, then 3 s at 50/s.
    const steady = Array.from({ length: 30 }, (_, w) =>
      Array.from({ length: 50 }, (_, i) => req(lognormal(w * 50 + i, 40), w * 10_000 + i * 200, '/home')),
    );
    const surge = Array.from({ length: 150 }, (_, i) => req(40, 300_000 + i * 20, '/home'));
    const results = stream([...steady, surge]);
    expect(results.flatMap((r) => r.anomalies)).toEqual([]);
    expect(results.slice(0, 30).flatMap((r) => r.counts)).toEqual([]);
    const spikes = results[30].counts.filter((f) => f.kind === 'count_spike' && f.key === '*');
    expect(spikes).toHaveLength(1);
    // 150 lines in the first 3 s of a window that usually holds 50: ~15 expected by then.
    expect(spikes[0]).toMatchObject({ actual: 150, bucket: (T0 + 300_000) / 10_000, lines: 150 });
    expect(spikes[0].typical).toBeGreaterThan(10);
    expect(spikes[0].typical).toBeLessThan(20);
  });

  it('judges errors by their history: a first 5xx after 500 clean requests, not the routine ones', () => {
    const ok = Array.from({ length: 600 }, (_, i) => req(40, i * 100));
    const fail = (at: number) => ({
      ...req(40, at),
      level: 'error' as const,
      http: { ...req(40, at).http!, status: 503 },
    });
    const [first, later] = stream([
      [...ok, fail(60_000)],
      [fail(61_000), fail(62_000), fail(63_000)],
    ]);
    expect(first.anomalies.map((a) => a.reasons)).toEqual([
      ['HTTP 503, unusual for GET /api/search (0 5xx in 600 requests before)'],
    ]);
    // The 2nd would need 1,000 clean requests before it (LEVEL_RATE 0.2%).
    expect(later.anomalies).toEqual([]);
  });
});

/** A plain line of template `tpl` at T0 + `at` ms (no HTTP fields). */
const line = (at: number, tpl: string, level: LogEvent['level'] = 'info'): LogEvent => ({
  ...req(1, at),
  http: undefined,
  level,
  templateId: tpl,
  template: tpl,
  message: tpl,
});

describe('warm-up of a low-volume source', () => {
  // 40 lines over 2 min (one every 3 s): far below RARE_MIN_EVENTS, far past WARMUP_TIME.
  const quiet = [
    line(0, 'start'),
    line(1_000, 'boot-error', 'error'),
    ...Array.from({ length: 40 }, (_, i) => line(2_000 + i * 3_000, 'tick')),
  ];
  const later = [
    line(130_000, 'reload'),
    line(130_500, 'refused', 'error'),
    line(131_000, 'refused', 'error'),
    line(131_500, 'boot-error', 'error'),
    line(132_000, 'not-found', 'warn'),
  ];
  const newTemplates = (r: ReturnType<typeof stream>[number], batch: LogEvent[]) =>
    r.newTemplateIndex.map((i) => batch[i].templateId);

  it('lets a failing template first seen after WARMUP_TIME of event time be new, within one batch or across', () => {
    const [one] = stream([[...quiet, ...later]]);
    expect(newTemplates(one, [...quiet, ...later])).toEqual(['refused', 'refused', 'not-found']);
    const [first, second] = stream([quiet, later]);
    expect(first.newTemplateIndex).toEqual([]);
    // The count at which the warm-up ended is stored once: the first line past 30 s.
    expect(first.deltas.firsts?.get('_w')).toBe(13);
    expect(newTemplates(second, later)).toEqual(['refused', 'refused', 'not-found']);
  });

  it('keeps info lines (a reload) and errors seen in the warm-up (a routine one) out, and the count-only warm-up with WARMUP_TIME off', () => {
    const [r] = stream([[...quiet, ...later]]);
    const batch = [...quiet, ...later];
    expect(r.newTemplateIndex.some((i) => ['reload', 'boot-error'].includes(batch[i].templateId))).toBe(
      false,
    );
    const off = detectSource(
      batch,
      emptyCounters(),
      undefined,
      { ...DEFAULT_DETECT, warmupTimeMs: Infinity },
      T0,
    );
    expect(off.newTemplateIndex).toEqual([]);
  });
});

describe('a new template is news in its first burst only', () => {
  // A quiet source past its timed warm-up, then two bursts of a new failing template an hour apart (a
  // package manager's runs, a nightly job): both well inside NOVELTY_EVENTS.
  const quiet = Array.from({ length: 40 }, (_, i) => line(i * 3_000, 'tick'));
  const burst = (at: number) =>
    Array.from({ length: 5 }, (_, i) => line(at + i * 10_000, 'retrying', 'warn'));
  const news = (r: ReturnType<typeof stream>[number], batch: LogEvent[]) =>
    r.newTemplateIndex.map((i) => batch[i].templateId);

  it('reports the first burst, and the next one an hour later not at all', () => {
    const first = burst(200_000);
    const again = burst(200_000 + 3_600_000);
    const [, one, two] = stream([quiet, first, again]);
    expect(news(one, first)).toEqual(Array(5).fill('retrying'));
    expect(two.newTemplateIndex).toEqual([]);
    // The template's first event time is stored once, with its first-seen count.
    expect(one.deltas.firsts?.get('ft:retrying')).toBe(T0 + 200_000);
    expect(two.deltas.firsts?.has('ft:retrying')).toBe(false);
  });

  it('stops being news NOVELTY_TIME after its first line, within one batch too', () => {
    const long = Array.from({ length: 8 }, (_, i) => line(200_000 + i * 60_000, 'retrying', 'warn'));
    const r = detectSource([...quiet, ...long], emptyCounters(), undefined, DEFAULT_DETECT, T0);
    // Lines at +0..+5 min of the first are news; +6 and +7 min are not.
    expect(r.newTemplateIndex.length).toBe(6);
    const off = detectSource(
      [...quiet, ...long],
      emptyCounters(),
      undefined,
      { ...DEFAULT_DETECT, noveltyTimeMs: Infinity },
      T0,
    );
    expect(off.newTemplateIndex.length).toBe(8);
  });

  it('judges a template from a store without first times (before NOVELTY_TIME) by its count, as before', () => {
    const later = burst(200_000 + 3_600_000);
    const [, , r] = stream([quiet, burst(200_000), later], (f) => !f.startsWith('ft:'));
    expect(news(r, later)).toEqual(Array(5).fill('retrying'));
    // ...and records the first time it sees, so the next burst is judged by time.
    expect(r.deltas.firsts?.get('ft:retrying')).toBe(T0 + 200_000 + 3_600_000);
  });
});

describe('a FATAL of the routine in a low-volume source', () => {
  it('is never new nor flagged: it recurs from the start, so the timed warm-up sees it', () => {
    const fatal = (at: number): LogEvent => ({
      ...req(1, at),
      http: undefined,
      level: 'fatal',
      templateId: 'cron-fatal',
      template: 'cron job failed',
      message: 'cron job failed',
    });
    // One FATAL every 20 s for 10 minutes, among info lines every 2 s: 330 lines, never RARE_MIN_EVENTS.
    const events = Array.from({ length: 300 }, (_, i) => req(1, i * 2_000)).concat(
      Array.from({ length: 30 }, (_, i) => fatal(5_000 + i * 20_000)),
    );
    events.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    const batches = Array.from({ length: 10 }, (_, b) => events.slice(b * 33, (b + 1) * 33));
    const results = stream(batches);
    expect(results.flatMap((r) => r.newTemplateIndex)).toEqual([]);
    expect(results.flatMap((r) => r.anomalies)).toEqual([]);
  });
});

describe('reservoir sampling', () => {
  const cfg = { minTraining: 1000, reservoirRate: 1 / 32, reservoirPerBatch: 32 };
  it('takes up to 256 a batch during the warm-up, then ~rate x n, capped, ascending and seeded', () => {
    expect(reservoirPicks(500, 0, cfg, 1)).toHaveLength(256);
    expect(reservoirPicks(100, 0, cfg, 1)).toHaveLength(100);
    let total = 0;
    for (let s = 0; s < 200; s++) {
      const p = reservoirPicks(500, 5000, cfg, s);
      expect(p.length).toBeLessThanOrEqual(32);
      expect([...p].sort((a, b) => a - b)).toEqual(p);
      total += p.length;
    }
    expect(total / 200).toBeGreaterThan(13);
    expect(total / 200).toBeLessThan(18);
    expect(reservoirPicks(500, 5000, cfg, 7)).toEqual(reservoirPicks(500, 5000, cfg, 7));
    expect(reservoirPicks(5000, 5000, cfg, 7)).toHaveLength(32);
  });
  it('gives every position the same chance (a uniform sample of the stream)', () => {
    const hits = new Array(10).fill(0);
    for (let s = 0; s < 4000; s++)
      for (const i of reservoirPicks(500, 5000, cfg, s)) hits[Math.floor(i / 50)]++;
    const mean = hits.reduce((a, b) => a + b) / hits.length;
    for (const h of hits) expect(Math.abs(h - mean) / mean).toBeLessThan(0.08);
  });
});

describe('running means', () => {
  const keysFor = (events: LogEvent[]) => events.map((e) => keysOf(e, 10_000, T0));
  it('are the exact cumulative means up to the horizon', () => {
    const base = emptyCounters();
    const all: number[] = [];
    for (let b = 0; b < 5; b++) {
      const events = Array.from({ length: 50 }, (_, i) => req(10 + ((b * 50 + i) % 37) * 5, i));
      for (const e of events) all.push(Math.log2(e.http!.latency_ms! + 1));
      const d = batchDeltas(keysFor(events), base, 100);
      for (const [k, v] of d.stats) base.stats.set(k, (base.stats.get(k) ?? 0) + v);
      for (const [k, v] of d.sets ?? []) base.stats.set(k, v);
    }
    const v = new CounterView(base, emptyCounters(), 30);
    const s = v.latencyLog('GET /api/search')!;
    expect(s.n).toBe(250);
    expect(s.mean).toBeCloseTo(all.reduce((a, b) => a + b) / all.length, 5);
    expect(NORM_HORIZON).toBeGreaterThan(250);
  });
  it("read an older store's sums as means", () => {
    const base: SourceCounters = {
      stats: new Map([
        ['_n', 10],
        ['t:t1', 10],
        ['ml:t1', 40],
        ['pl:t1', 0],
        ['ln:GET /api/search', 10],
        ['ls:GET /api/search', 70],
        ['lq:GET /api/search', 500],
      ]),
      windows: new Map(),
    };
    const v = new CounterView(base, emptyCounters(), 30);
    expect(v.template('t1')).toEqual({ n: 10, ml: 4, pl: 0 });
    expect(v.latencyLog('GET /api/search')).toMatchObject({ n: 10, mean: 7, sd: 1 });
    const d = batchDeltas(keysFor([req(127, 0)]), base, 100);
    expect(d.sets?.get('lm:GET /api/search')).toBeCloseTo(7, 6);
    expect(d.sets?.get('ln:GET /api/search')).toBe(11);
  });
});

describe('judge with a model', () => {
  it('reports the same anomalies whether it walks every row or only those the model could report', () => {
    const batches = Array.from({ length: 12 }, (_, b) =>
      Array.from({ length: 200 }, (_, i) => {
        const j = b * 200 + i;
        const e = req(lognormal(j, 120), j * 50, j % 89 === 7 ? '/api/rare' : '/api/search');
        e.params = [j % 97 === 3 ? 'x'.repeat(400) : `q${j % 1000}`];
        return e;
      }),
    );
    const results = stream(batches);
    const rows = new Float64Array(results.slice(0, 8).flatMap((r) => [...r.vectors]));
    const model = { ...fitModel(rows, DEFAULT_DETECT, { contamination: 0.05, version: 1 }) };
    const last = results[11];
    const events = batches[11];
    const base = emptyCounters();
    const view = new CounterView(base, last.deltas, 30);
    const lazy = judge(events, last.keys, view, last.vectors, model, DEFAULT_DETECT);
    const exact = judge(events, last.keys, view, last.vectors, model, DEFAULT_DETECT, { exactScores: true });
    expect(lazy.anomalies).toEqual(exact.anomalies);
    expect(exact.anomalies.some((a) => a.detector === 'model')).toBe(true);
    expect(lazy.modelFlagged % 1).toBe(0);
    // Every row over the cut: the estimate from the sampled rows is exactly the batch, never more
    // (each sampled row stands for the unwalked rows of its stride only).
    const all = judge(
      events,
      last.keys,
      view,
      last.vectors,
      { ...model, threshold: 0 },
      { ...DEFAULT_DETECT, scoreFloor: 0 },
    );
    expect(all.modelFlagged).toBe(events.length);
  });
});

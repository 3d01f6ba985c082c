// Offline analysis of a file too large to hold (pure; `logfaas analyze` feeds it): pass 1 observes every
// parsed line (counters, times, a training sample), fit() trains, pass 2 scores the lines again in order.
// Memory: the counters (bounded by templates, endpoints and windows), 8 bytes of time per line, the
// training sample and the flagged lines; not the lines themselves (~1.4 KB each in the one-pass form).
import type { Level, LogEvent } from '../../core/event.js';
import type { DetectConfig } from './config.js';
import { judge, type LoadedModel, setRate } from './detect.js';
import {
  batchDeltas,
  CounterView,
  DIMS,
  type EventKeys,
  emptyCounters,
  featurize,
  keysOf,
  type SourceCounters,
  type WindowCount,
} from './features.js';
import { fitModel } from './fit.js';
import { rng } from './forest.js';
import { type LineVerdict, MIN_LINES_FOR_MODEL, offlineConfig, TRAINING_SAMPLE } from './offline.js';

/** Time spacing given to lines without a usable timestamp, so their rate features stay neutral. */
const UNTIMED_SPACING_MS = 100;

interface Sampled {
  key: EventKeys;
  index: number;
  /** Events of the line's window up to it, with line times (timed) or evenly spaced times (untimed). */
  soFarTimed: number;
  soFarUntimed: number;
}

export interface StreamedLine {
  verdict: LineVerdict;
  level: Level;
  templateId: string;
}

/** Two-pass analysis: observe() every chunk, fit(), then score() every chunk again in the same order. */
export class StreamingAnalysis {
  readonly cfg: DetectConfig;
  private readonly counters: SourceCounters = emptyCounters();
  /** Windows as they would be with every line evenly spaced (when the file turns out untimed). */
  private readonly untimedWindows = new Map<number, WindowCount>();
  private readonly soFar = { timed: new Map<number, number>(), untimed: new Map<number, number>() };
  /** Each line's own time, NaN without one. */
  private times = new Float64Array(1 << 16);
  private seen = 0;
  private withTime = 0;
  private readonly sample: Sampled[] = [];
  private readonly pick: () => number;
  private view?: CounterView;
  private sortedTs = new Float64Array(0);
  private scored = 0;
  /** Whether line timestamps were usable for rate features (decided by fit). */
  timed = false;
  model?: LoadedModel;
  readonly levels = new Map<string, number>();
  readonly templates = new Map<string, { n: number; text: string }>();
  /** Flagged lines by 0-based index (bounded by the anomalies, not the file). */
  readonly flagged = new Map<number, LineVerdict>();

  constructor(
    base: DetectConfig,
    private readonly opts: { contamination: number },
  ) {
    this.cfg = offlineConfig(base);
    this.pick = rng(this.cfg.seed);
  }

  get lines(): number {
    return this.seen;
  }

  get contamination(): number {
    return this.opts.contamination;
  }

  /** Pass 1: one chunk of parsed lines, in file order. */
  observe(events: LogEvent[]): void {
    const { windowMs } = this.cfg;
    const keys = events.map((e, j) => {
      const k = keysOf(e, windowMs, 0);
      if (e.timestampOriginal === undefined) {
        k.ts = (this.seen + j) * UNTIMED_SPACING_MS;
        k.bucket = Math.floor(k.ts / windowMs);
      }
      return k;
    });
    const d = batchDeltas(keys, this.counters, this.cfg.maxTracked, Number.POSITIVE_INFINITY);
    merge(this.counters, d);
    for (let j = 0; j < events.length; j++) {
      const i = this.seen++;
      const e = events[j];
      const k = keys[j];
      const own = e.timestampOriginal !== undefined;
      if (own) this.withTime++;
      if (i >= this.times.length) {
        const t = new Float64Array(this.times.length * 2);
        t.set(this.times);
        this.times = t;
      }
      this.times[i] = own ? k.ts : Number.NaN;
      // batchDeltas counted windows with the line's own time (or the even spacing when it has none).
      const ub = Math.floor((i * UNTIMED_SPACING_MS) / windowMs);
      const w = this.untimedWindows.get(ub) ?? { n: 0, err: 0 };
      w.n++;
      if (k.isError) w.err++;
      this.untimedWindows.set(ub, w);
      const tb = own ? k.bucket : ub;
      const soFarTimed = (this.soFar.timed.get(tb) ?? 0) + 1;
      this.soFar.timed.set(tb, soFarTimed);
      const soFarUntimed = (this.soFar.untimed.get(ub) ?? 0) + 1;
      this.soFar.untimed.set(ub, soFarUntimed);
      // Reservoir sampling (Vitter's algorithm R) of the training lines: uniform over the file.
      const slot = i < TRAINING_SAMPLE ? i : Math.floor(this.pick() * (i + 1));
      if (slot < TRAINING_SAMPLE) {
        k.paramLongest = undefined;
        this.sample[slot] = { key: k, index: i, soFarTimed, soFarUntimed };
      }
    }
  }

  /** Between the passes: counters are final; trains the forest on the sample. */
  fit(): void {
    const n = this.seen;
    this.timed = this.withTime >= n / 2;
    if (!this.timed) this.counters.windows = this.untimedWindows;
    this.view = new CounterView(this.counters, emptyCounters(), this.cfg.windowHistory);
    this.sortedTs = new Float64Array(n);
    for (let i = 0; i < n; i++) this.sortedTs[i] = this.timeOf(i);
    this.sortedTs.sort();
    this.soFar.timed.clear();
    this.soFar.untimed.clear();
    if (n < MIN_LINES_FOR_MODEL) return;
    const rows = new Float64Array(this.sample.length * DIMS);
    this.sample.forEach((s, slot) => {
      this.place(s.key, s.index);
      setRate(s.key, this.timed ? s.soFarTimed : s.soFarUntimed, this.sortedTs, this.cfg.windowMs);
      featurize(s.key, this.view!, rows, slot * DIMS);
    });
    this.sample.length = 0;
    this.model = fitModel(rows, this.cfg, { contamination: this.opts.contamination, version: 1 });
  }

  /** Pass 2: the same chunks again, in order; one verdict per line. */
  score(events: LogEvent[]): StreamedLine[] {
    const view = this.view;
    if (!view) throw new Error('StreamingAnalysis: fit() before score()');
    const { windowMs } = this.cfg;
    const soFar = this.soFar.timed;
    const keys = events.map((e, j) => {
      const k = keysOf(e, windowMs, 0);
      // As the one-pass form: a parameter's text only when it is long enough to be reported.
      if (k.paramMax < 100) k.paramLongest = undefined;
      this.place(k, this.scored + j);
      const c = (soFar.get(k.bucket) ?? 0) + 1;
      soFar.set(k.bucket, c);
      setRate(k, c, this.sortedTs, windowMs);
      return k;
    });
    const vectors = new Float64Array(keys.length * DIMS);
    for (let j = 0; j < keys.length; j++) featurize(keys[j], view, vectors, j * DIMS);
    const r = judge(events, keys, view, vectors, this.model, this.cfg, { exactScores: true });
    const hits = new Map(r.index.map((j, a) => [j, r.anomalies[a]]));
    const out = events.map((e, j): StreamedLine => {
      const ms = r.scores[j];
      const modelScore = Number.isNaN(ms) ? undefined : round(ms);
      const a = hits.get(j);
      const verdict: LineVerdict = {
        anomaly: a !== undefined,
        score: a ? a.score : (modelScore ?? 0),
        ...(modelScore !== undefined ? { modelScore } : {}),
        ...(a ? { detector: a.detector } : {}),
        reasons: a ? a.reasons : [],
      };
      if (a) this.flagged.set(this.scored + j, verdict);
      this.levels.set(e.level, (this.levels.get(e.level) ?? 0) + 1);
      const t = this.templates.get(e.templateId);
      if (t) t.n++;
      else this.templates.set(e.templateId, { n: 1, text: e.template });
      return { verdict, level: e.level, templateId: e.templateId };
    });
    this.scored += events.length;
    return out;
  }

  /** The time and window of line i as the analysis uses them (see UNTIMED_SPACING_MS). */
  private place(k: EventKeys, i: number): void {
    k.ts = this.timeOf(i);
    k.bucket = Math.floor(k.ts / this.cfg.windowMs);
  }

  private timeOf(i: number): number {
    const own = this.times[i];
    return this.timed && !Number.isNaN(own) ? own : i * UNTIMED_SPACING_MS;
  }
}

/** Folds a chunk's counters into the running ones (as the store would). */
function merge(into: SourceCounters, d: SourceCounters): void {
  for (const [k, v] of d.stats) into.stats.set(k, (into.stats.get(k) ?? 0) + v);
  for (const [k, v] of d.sets ?? []) into.stats.set(k, v);
  for (const [k, v] of d.firsts ?? []) if (!into.stats.has(k)) into.stats.set(k, v);
  for (const [b, w] of d.windows) {
    const x = into.windows.get(b);
    if (x) {
      x.n += w.n;
      x.err += w.err;
    } else into.windows.set(b, { n: w.n, err: w.err });
  }
}

const round = (x: number) => Math.round(x * 10000) / 10000;

// A log file through the detector the stack runs (functions/detect-anomaly/detector.ts) over an
// embedded KV: parsed in chunks in file order, scored in batches of the producer's size, judged on the
// lines' own times, so `logfaas analyze` and the pipeline give the same verdicts on the same input.
import { createReadStream } from 'node:fs';
import type { AnomalyResult, Level, LogEvent } from '../../core/event.js';
import { parseEventTime } from '../../core/event-time.js';
import { type Incident, readIncidents } from '../../core/incident.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import { silentLogger } from '../../core/log.js';
import { readModelStatus } from '../../core/model-status.js';
import type { MultilineLimits } from '../../core/multiline.js';
import type { DetectConfig } from '../../functions/detect-anomaly/config.js';
import { createDetector } from '../../functions/detect-anomaly/detector.js';
import { type Batch, splitText } from '../../functions/parse-log/body.js';
import {
  countsByCanonical,
  parseBatch,
  resolveLimits,
  TemplateMiner,
} from '../../functions/parse-log/pipeline.js';
import { RecordBatcher } from '../../functions/parse-log/records.js';
import type { CompiledFormat } from '../log-format-flag.js';

/** Bytes read per step: large enough to be fast, small enough for a smooth progress bar. */
export const CHUNK_BYTES = 1 << 20;
/** Lines per detector batch: the producer's default message (BATCH_LINES), so batches match the stack's. */
export const ANALYZE_BATCH_LINES = 2000;

export interface LineVerdict {
  anomaly: boolean;
  /** 1 for a rule hit, the model score for a model hit, 0 otherwise. */
  score: number;
  detector?: 'model' | 'rules';
  reasons: string[];
}

export interface AnalyzedLine {
  /** 0-based number of the event's first line in the file (a multi-line record is one event). */
  line: number;
  verdict: LineVerdict;
  level: Level;
  templateId: string;
  /** Set on the file's last line (writers flush then). */
  last?: boolean;
}

export interface AnalyzeResult {
  /** Events (a multi-line record is one). */
  lines: number;
  /** Whether most lines had their own timestamp. */
  timed: boolean;
  levels: Map<Level, number>;
  templates: Map<string, { n: number; text: string }>;
  /** Events flagged on their own, by the 0-based number of their first line. */
  flagged: Map<number, LineVerdict>;
  /** A template's text at the end of the run (it generalises as lines arrive). */
  templateText: (id: string) => string | undefined;
  /** Every incident, newest first. */
  incidents: Incident[];
  model?: { version: number; trainingSize: number; threshold?: number; contamination?: number };
}

export async function analyzeFile(
  file: string,
  opts: {
    source: string;
    format?: CompiledFormat;
    config: DetectConfig;
    /** Group stack traces and continuation lines into the event before them (as the stack does); off: one event per line. */
    multiline?: MultilineLimits;
    onLine?: (l: AnalyzedLine) => void;
    onProgress?: (bytesRead: number) => void;
  },
): Promise<AnalyzeResult> {
  const kv = await createMemoryKv();
  try {
    const detector = createDetector({ kv, config: opts.config, logger: silentLogger });
    const limits = resolveLimits();
    const miner = new TemplateMiner(opts.source, limits);
    const r: AnalyzeResult = {
      lines: 0,
      timed: false,
      levels: new Map(),
      templates: new Map(),
      flagged: new Map(),
      incidents: [],
      templateText: (id) => miner.get(miner.canonicalId(id))?.text,
    };
    const records = opts.multiline ? new RecordBatcher(opts.multiline) : undefined;
    /** First line of each pending event. */
    let pendingLines: number[] = [];
    let lineNo = 0;
    let withTime = 0;
    let pending: LogEvent[] = [];
    let pendingLast = false;
    const flush = async () => {
      const events = pending;
      const firstLines = pendingLines;
      pending = [];
      pendingLines = [];
      if (!events.length) return;
      const now = Date.now();
      const times = events.map((e) => parseEventTime(e.timestamp));
      const { anomalies } = await detector.process(events, times, now);
      const byEvent = new Map<LogEvent, AnomalyResult>(anomalies.map((a) => [a.event, a]));
      events.forEach((e, j) => {
        const a = byEvent.get(e);
        const verdict: LineVerdict = {
          anomaly: a !== undefined,
          score: a ? a.score : 0,
          ...(a ? { detector: a.detector } : {}),
          reasons: a ? a.reasons : [],
        };
        if (a) r.flagged.set(firstLines[j], verdict);
        r.lines++;
        r.levels.set(e.level, (r.levels.get(e.level) ?? 0) + 1);
        const t = r.templates.get(e.templateId);
        if (t) t.n++;
        else r.templates.set(e.templateId, { n: 1, text: e.template });
        opts.onLine?.({
          line: firstLines[j],
          verdict,
          level: e.level,
          templateId: e.templateId,
          ...(pendingLast && j === events.length - 1 ? { last: true } : {}),
        });
      });
    };
    const take = async (bytes: Uint8Array | null) => {
      const text = bytes ? splitText(bytes) : { lines: [] };
      let b: Batch = text;
      let firstLines: number[] | undefined;
      if (records) {
        const grouped = bytes ? records.push(text) : records.end();
        firstLines = grouped.firstLines;
        b = grouped;
      }
      const events = parseBatch(b.lines, undefined, {
        source: opts.source,
        format: opts.format,
        limits,
        miner,
        now: Date.now(),
        preProblems: b.problems,
        multiline: opts.multiline,
      });
      for (let k = 0; k < events.length; k++) {
        const e = events[k];
        if (e.timestampOriginal !== undefined) withTime++;
        pending.push(e);
        pendingLines.push(firstLines ? firstLines[k] : lineNo + k);
        if (pending.length >= ANALYZE_BATCH_LINES) await flush();
      }
      lineNo += b.lines.length;
    };
    await eachChunk(file, async (bytes, read) => {
      await take(bytes);
      opts.onProgress?.(read);
    });
    if (records) await take(null);
    pendingLast = true;
    await flush();
    r.timed = withTime >= r.lines / 2;
    r.templates = byCanonical(r.templates, miner);
    r.incidents = await readIncidents(kv, { now: Date.now(), quietMs: Number.POSITIVE_INFINITY });
    const m = (await readModelStatus(kv)).find((s) => s.detector === 'model');
    if (m)
      r.model = {
        version: m.version,
        trainingSize: m.trainingSize,
        threshold: m.threshold,
        contamination: m.contamination,
      };
    return r;
  } finally {
    await kv.close();
  }
}

/** The report's counts under the templates their ids were merged into since (countsByCanonical). */
function byCanonical(
  counts: Map<string, { n: number; text: string }>,
  miner: TemplateMiner,
): Map<string, { n: number; text: string }> {
  const folded = countsByCanonical(miner, new Map([...counts].map(([id, t]) => [id, t.n])));
  return new Map(
    [...folded].map(([c, n]) => [c, { n, text: miner.get(c)?.text ?? counts.get(c)?.text ?? c }]),
  );
}

/** Calls `fn` with the file's bytes cut at line ends, about CHUNK_BYTES at a time. */
async function eachChunk(
  file: string,
  fn: (bytes: Uint8Array, read: number) => Promise<void>,
): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let read = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
    const buf = chunk as Buffer;
    read += buf.length;
    pending = pending.length ? Buffer.concat([pending, buf]) : buf;
    const cut = pending.lastIndexOf(10);
    if (cut >= 0) {
      await fn(pending.subarray(0, cut + 1), read);
      pending = pending.subarray(cut + 1);
    }
  }
  if (pending.length) await fn(pending, read);
}

// `logfaas analyze`: offline anomaly analysis of one log file: parse (parse-log core), fit the
// detect-anomaly features and forest on the whole file, score every line, print a report or NDJSON.
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { LogEvent } from '../../core/event.js';
import { DEFAULT_MULTILINE_LIMITS } from '../../core/multiline.js';
import { DEFAULT_DETECT } from '../../functions/detect-anomaly/config.js';
import { TRAINING_SAMPLE } from '../../functions/detect-anomaly/offline.js';
import { StreamingAnalysis } from '../../functions/detect-anomaly/offline-stream.js';
import { type Batch, splitText } from '../../functions/parse-log/body.js';
import { parseBatch, resolveLimits, TemplateMiner } from '../../functions/parse-log/pipeline.js';
import { RecordBatcher } from '../../functions/parse-log/records.js';
import { parseFlags, strFlag } from '../args.js';
import { type CliIo, type Command, EXIT, UsageError } from '../command.js';
import { logFormatFlag } from '../log-format-flag.js';

const HELP = `logfaas analyze: find anomalies in a log file, offline (no stack needed)

Usage: logfaas analyze [options] FILE

Parses FILE (formats detected per line, or --log-format), computes the detect-anomaly features over
the whole file (latency against its endpoint, status, level, template and endpoint rarity, parameter
and message length, error bursts, event rate), trains an Isolation Forest on a sample of the lines,
and scores every line with the forest and the explicit rules (error/fatal levels, 5xx, extreme
latency, rare templates, bursts). Prints a report: counts, top templates, anomalies with reasons.

Options:
  -f, --log-format FMT     Loghub-style format, e.g. '<Date> <Time> <Level> <Component>: <Content>'
  -s, --source NAME        source name (default: the file name)
      --json               one JSON object per input line, in order:
                           {"line","anomaly","score","modelScore","detector","reasons","level","templateId"}
  -c, --contamination X    expected share of anomalies, sets the model threshold (default ${DEFAULT_DETECT.contamination})
  -n, --top N              anomalies listed in the report (default 20)
      --no-multiline       one event per line: do not group stack traces (Java, Python, Go) and
                           indented continuation lines into the event of the line before them
  -h, --help               this help

A progress bar is drawn on stderr for large files when stderr is a terminal.
Exit codes: 0 ok, 1 cannot read FILE, 2 usage.

Examples:
  logfaas analyze access.log
  logfaas analyze --log-format '<Date> <Time> <Pid> <Level> <Component>: <Content>' HDFS_2k.log
  logfaas analyze --json app.log | jq -c 'select(.anomaly) | [.line, .score, .reasons]'
  logfaas analyze --contamination 0.05 --top 50 syslog
`;

const SPEC = {
  'log-format': { type: 'string', short: 'f' },
  source: { type: 'string', short: 's' },
  json: { type: 'boolean' },
  contamination: { type: 'string', short: 'c' },
  top: { type: 'string', short: 'n' },
  'no-multiline': { type: 'boolean' },
} as const;

/** Lines parsed per step: large enough to be fast, small enough for a smooth progress bar. */
const CHUNK_BYTES = 1 << 20;
/** Files above this get a progress bar (when stderr is a TTY). */
const PROGRESS_MIN_BYTES = 8 << 20;

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'find anomalies in a log file offline, with reasons (report or --json per line)',
  help: HELP,
  async run(argv, io) {
    const { flags, files } = parseFlags(argv, SPEC);
    if (files.length !== 1) throw new UsageError('give exactly one FILE');
    const file = files[0];
    const contamination = numFlag(
      strFlag(flags.contamination),
      'contamination',
      DEFAULT_DETECT.contamination,
    );
    const top = numFlag(strFlag(flags.top), 'top', 20);
    const format = logFormatFlag(strFlag(flags['log-format']));
    const source = strFlag(flags.source) ?? basename(file);
    let size: number;
    try {
      size = statSync(file).size;
    } catch (e) {
      io.stderr.write(`logfaas analyze: cannot read ${file}: ${(e as Error).message}\n`);
      return EXIT.failure;
    }
    const progress = io.stderr.isTTY && size >= PROGRESS_MIN_BYTES ? bar(io, size) : undefined;
    const limits = resolveLimits();
    const miner = new TemplateMiner(source, limits);
    const now = Date.now();
    const multiline = flags['no-multiline'] === true ? undefined : DEFAULT_MULTILINE_LIMITS;
    // Each pass groups records across its chunks; `firstLines` keeps each event's first line number.
    let records: RecordBatcher | undefined;
    let firstLines: number[] | undefined;
    const parseChunk = (bytes: Uint8Array | null): LogEvent[] => {
      const text = bytes ? splitText(bytes) : { lines: [] };
      let b: Batch = text;
      firstLines = undefined;
      if (records) {
        const grouped = bytes ? records.push(text) : records.end();
        firstLines = grouped.firstLines;
        b = grouped;
      }
      return parseBatch(b.lines, undefined, {
        source,
        format,
        limits,
        miner,
        now,
        preProblems: b.problems,
        multiline,
      });
    };
    // Two passes over the file, one chunk in memory at a time: the first builds the counters and the
    // training sample, the second parses again (the miner has seen every line by then) and scores.
    const analysis = new StreamingAnalysis(DEFAULT_DETECT, { contamination });
    try {
      records = multiline ? new RecordBatcher(multiline) : undefined;
      await eachChunk(file, (bytes, read) => {
        analysis.observe(parseChunk(bytes));
        progress?.(read / 2, 'parsing');
      });
      if (records) analysis.observe(parseChunk(null));
    } catch (e) {
      progress?.(0, '', true);
      io.stderr.write(`logfaas analyze: cannot read ${file}: ${(e as Error).message}\n`);
      return EXIT.failure;
    }
    analysis.fit();
    // `logfaas analyze --json big.log | head`: a closed pipe ends the output quietly.
    io.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') io.stderr.write(`logfaas analyze: ${e.message}\n`);
    });
    let event = 0;
    let out = '';
    /** Flagged events' first line numbers (0-based), for the report. */
    const lineOf = new Map<number, number>();
    const score = (events: LogEvent[]) => {
      const first = firstLines;
      let k = 0;
      for (const l of analysis.score(events)) {
        const line = first ? first[k] : event;
        k++;
        if (l.verdict.anomaly) lineOf.set(event, line);
        event++;
        if (!flags.json) continue;
        out += `${JSON.stringify({ line: line + 1, ...l.verdict, level: l.level, templateId: l.templateId })}\n`;
        if (out.length > 1 << 16) {
          io.stdout.write(out);
          out = '';
        }
      }
    };
    try {
      records = multiline ? new RecordBatcher(multiline) : undefined;
      await eachChunk(file, (bytes, read) => {
        score(parseChunk(bytes));
        progress?.(size / 2 + read / 2, 'scoring');
      });
      if (records) score(parseChunk(null));
    } catch (e) {
      progress?.(0, '', true);
      io.stderr.write(`logfaas analyze: cannot read ${file}: ${(e as Error).message}\n`);
      return EXIT.failure;
    }
    progress?.(0, '', true);
    if (flags.json) io.stdout.write(out);
    else
      io.stdout.write(
        await report(file, source, analysis, top, lineOf, (id) => miner.get(miner.canonicalId(id))?.text),
      );
    return EXIT.ok;
  },
};

/** Calls `fn` with the file's bytes cut at line ends, about CHUNK_BYTES at a time. */
async function eachChunk(file: string, fn: (bytes: Uint8Array, read: number) => void): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let read = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
    const buf = chunk as Buffer;
    read += buf.length;
    pending = pending.length ? Buffer.concat([pending, buf]) : buf;
    const cut = pending.lastIndexOf(10);
    if (cut >= 0) {
      fn(pending.subarray(0, cut + 1), read);
      pending = pending.subarray(cut + 1);
    }
  }
  if (pending.length) fn(pending, read);
}

function numFlag(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (name === 'contamination' && n >= 0.5)) {
    throw new UsageError(`--${name} must be a number ${name === 'contamination' ? 'in (0, 0.5)' : '> 0'}`);
  }
  return name === 'top' ? Math.floor(n) : n;
}

async function report(
  file: string,
  source: string,
  r: StreamingAnalysis,
  top: number,
  lineOf: ReadonlyMap<number, number>,
  /** The template's text at the end of the run (it generalises as lines arrive). */
  current: (id: string) => string | undefined,
): Promise<string> {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const { levels, templates } = r;
  const events = { length: r.lines };
  const flagged = [...r.flagged].map(([i, v]) => ({ v, i }));
  const byDetector = (d: string) => flagged.filter((x) => x.v.detector === d).length;
  const lines = [
    `${file}: ${fmt(events.length)} lines, source '${source}'${r.timed ? '' : ' (no usable timestamps: rate features neutral)'}`,
    `levels: ${[...levels]
      .sort((a, b) => b[1] - a[1])
      .map(([l, n]) => `${l} ${fmt(n)}`)
      .join(', ')}`,
    `templates: ${fmt(templates.size)}; top 10:`,
    ...[...templates]
      .sort((a, b) => b[1].n - a[1].n)
      .slice(0, 10)
      .map(
        ([id, t]) =>
          `  ${fmt(t.n).padStart(9)}  ${((100 * t.n) / events.length).toFixed(1).padStart(5)}%  ${clip(current(id) ?? t.text, 90)}`,
      ),
    r.model
      ? `model: Isolation Forest, ${r.model.forest.roots.length} trees, psi ${r.model.forest.sampleSize}, trained on ${fmt(Math.min(r.lines, TRAINING_SAMPLE))} lines; threshold ${round(r.model.threshold)} (contamination ${r.contamination})`
      : 'model: too few lines to train; rules only',
    `anomalies: ${fmt(flagged.length)} (${((100 * flagged.length) / Math.max(1, events.length)).toFixed(2)}%; model ${fmt(byDetector('model'))}, rules ${fmt(byDetector('rules'))})`,
  ];
  const ranked = flagged.sort(
    (a, b) => b.v.score - a.v.score || (b.v.modelScore ?? 0) - (a.v.modelScore ?? 0) || a.i - b.i,
  );
  const shown = ranked.slice(0, top).map((x) => ({ ...x, i: lineOf.get(x.i) ?? x.i }));
  const raw = await readLines(file, new Set(shown.map((x) => x.i)));
  for (const { v, i } of shown) {
    lines.push(`  line ${i + 1}  score ${v.score.toFixed(2)}  [${v.detector}]  ${v.reasons.join('; ')}`);
    lines.push(`      ${clip(raw.get(i) ?? '', 140)}`);
  }
  if (flagged.length > top)
    lines.push(`  ... ${fmt(flagged.length - top)} more (--top N, or --json for every line)`);
  return `${lines.join('\n')}\n`;
}

/** The given 0-based lines of a file (split on LF, CR stripped, as parse-log splits). */
async function readLines(file: string, wanted: Set<number>): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (!wanted.size) return out;
  const last = Math.max(...wanted);
  let line = 0;
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
    let buf: Buffer = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
      if (wanted.has(line)) out.set(line, buf.subarray(0, nl).toString('utf8').replace(/\r$/, ''));
      buf = buf.subarray(nl + 1);
      if (++line > last) return out;
    }
    pending = buf;
  }
  if (wanted.has(line)) out.set(line, pending.toString('utf8').replace(/\r$/, ''));
  return out;
}

const round = (x: number) => Math.round(x * 10000) / 10000;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A one-line progress bar on stderr, redrawn at most every 100 ms; `done` clears it. */
function bar(io: CliIo, total: number): (at: number, phase: string, done?: boolean) => void {
  let last = 0;
  return (at, phase, done) => {
    if (done) return void io.stderr.write('\r\x1b[K');
    const t = Date.now();
    if (t - last < 100 && at < total) return;
    last = t;
    const pct = Math.min(1, at / total);
    const width = 30;
    const fill = Math.round(pct * width);
    io.stderr.write(
      `\r${phase.padEnd(8)} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(pct * 100).toFixed(0)}%`,
    );
  };
}

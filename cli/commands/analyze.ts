// `logfaas analyze`: anomaly analysis of one log file without a stack: the file runs through the same
// detector as the pipeline (analyze-file.ts), and a report, one verdict per line or the incidents are printed.
import { createReadStream, statSync } from 'node:fs';
import { DEFAULT_MULTILINE_LIMITS } from '../../core/multiline.js';
import { DEFAULT_DETECT } from '../../functions/detect-anomaly/config.js';
import { parseFlags, strFlag } from '../args.js';
import { type CliIo, type Command, EXIT, UsageError } from '../command.js';
import { logFormatFlag } from '../log-format-flag.js';
import { sourceFromPath } from '../source-name.js';
import { type AnalyzedLine, type AnalyzeResult, analyzeFile, CHUNK_BYTES } from './analyze-file.js';

const HELP = `logfaas analyze: find anomalies in a log file, offline (no stack needed)

Usage: logfaas analyze [options] FILE

Parses FILE (formats detected per line, or --log-format) and runs it through the same detector as
the running stack, in batches in file order, judged on the lines' own times: per template and source,
counts far above or below their baseline, templates never seen once the source is past its warm-up
and error-rate shifts are reported as incidents; lines are flagged on their own only when unusual by
themselves (an error where its template or endpoint hardly has any, a request far in its endpoint's
latency tail, an odd parameter or message for the Isolation Forest). Prints a report: counts, top
templates, incidents, and the lines anomalous on their own, with reasons.

Options:
  -f, --log-format FMT     Loghub-style format, e.g. '<Date> <Time> <Level> <Component>: <Content>'
  -s, --source NAME        source name (default: as logfaas send names the file)
      --json               one JSON object per input line, in order:
                           {"line","anomaly","score","detector","reasons","level","templateId"}
      --incidents          with --json: one JSON object per incident instead (newest first):
                           {"id","source","kind","templateId","firstTs","lastTs","count","actual",
                            "typical","reasons","examples","status",...}
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
  logfaas analyze --incidents --json /var/log/dpkg.log | jq -c '[.kind, .count, .reasons[0]]'
  logfaas analyze --contamination 0.05 --top 50 syslog
`;

const SPEC = {
  'log-format': { type: 'string', short: 'f' },
  source: { type: 'string', short: 's' },
  json: { type: 'boolean' },
  incidents: { type: 'boolean' },
  contamination: { type: 'string', short: 'c' },
  top: { type: 'string', short: 'n' },
  'no-multiline': { type: 'boolean' },
} as const;

/** Files above this get a progress bar (when stderr is a TTY). */
const PROGRESS_MIN_BYTES = 8 << 20;

export const analyzeCommand: Command = {
  name: 'analyze',
  summary:
    'find anomalies and incidents in a log file offline, as the stack would (report, --json per line or --incidents)',
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
    const source = strFlag(flags.source) ?? sourceFromPath(file);
    let size: number;
    try {
      size = statSync(file).size;
    } catch (e) {
      io.stderr.write(`logfaas analyze: cannot read ${file}: ${(e as Error).message}\n`);
      return EXIT.failure;
    }
    const progress = io.stderr.isTTY && size >= PROGRESS_MIN_BYTES ? bar(io, size) : undefined;
    // `logfaas analyze --json big.log | head`: a closed pipe ends the output quietly.
    io.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') io.stderr.write(`logfaas analyze: ${e.message}\n`);
    });
    const run = await analyzeFile(file, {
      source,
      format,
      config: { ...DEFAULT_DETECT, contamination },
      multiline: flags['no-multiline'] === true ? undefined : DEFAULT_MULTILINE_LIMITS,
      onLine: flags.json && !flags.incidents ? lineWriter(io) : undefined,
      onProgress: progress && ((read) => progress(read, 'analyzing')),
    }).catch((e: Error) => e);
    progress?.(0, '', true);
    if (run instanceof Error) {
      io.stderr.write(`logfaas analyze: cannot read ${file}: ${run.message}\n`);
      return EXIT.failure;
    }
    if (flags.incidents && flags.json) {
      io.stdout.write(run.incidents.map((x) => `${JSON.stringify(x)}\n`).join(''));
    } else if (!flags.json) io.stdout.write(await report(file, source, run, top));
    return EXIT.ok;
  },
};

/** Writes one JSON object per line, buffered. */
function lineWriter(io: CliIo): (l: AnalyzedLine) => void {
  let out = '';
  const write = (l: AnalyzedLine) => {
    out += `${JSON.stringify({ line: l.line + 1, ...l.verdict, level: l.level, templateId: l.templateId })}\n`;
    if (out.length > 1 << 16 || l.last) {
      io.stdout.write(out);
      out = '';
    }
  };
  return write;
}

function numFlag(v: string | undefined, name: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (name === 'contamination' && n >= 0.5)) {
    throw new UsageError(`--${name} must be a number ${name === 'contamination' ? 'in (0, 0.5)' : '> 0'}`);
  }
  return name === 'top' ? Math.floor(n) : n;
}

async function report(file: string, source: string, r: AnalyzeResult, top: number): Promise<string> {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const flagged = [...r.flagged].map(([i, v]) => ({ v, i }));
  const lines = [
    `${file}: ${fmt(r.lines)} lines, source '${source}'${r.timed ? '' : ' (no usable timestamps: lines are timed as they are read)'}`,
    `levels: ${[...r.levels]
      .sort((a, b) => b[1] - a[1])
      .map(([l, n]) => `${l} ${fmt(n)}`)
      .join(', ')}`,
    `templates: ${fmt(r.templates.size)}; top 10:`,
    ...[...r.templates]
      .sort((a, b) => b[1].n - a[1].n)
      .slice(0, 10)
      .map(
        ([id, t]) =>
          `  ${fmt(t.n).padStart(9)}  ${((100 * t.n) / Math.max(1, r.lines)).toFixed(1).padStart(5)}%  ${clip(r.templateText(id) ?? t.text, 90)}`,
      ),
    r.model
      ? `model: Isolation Forest version ${r.model.version}, trained on ${fmt(r.model.trainingSize)} vectors; threshold ${r.model.threshold} (contamination ${r.model.contamination})`
      : `model: not trained (the stack trains once ${fmt(DEFAULT_DETECT.minTraining)} feature vectors are collected); rules only`,
    `incidents: ${fmt(r.incidents.length)}`,
    ...r.incidents
      .slice(0, top)
      .map(
        (x) =>
          `  ${x.kind.padEnd(13)} ${String(x.count).padStart(7)} lines  ${x.firstTs} .. ${x.lastTs}  ${clip(x.reasons[0] ?? '', 100)}`,
      ),
    ...(r.incidents.length > top
      ? [`  ... ${fmt(r.incidents.length - top)} more (--incidents --json for all)`]
      : []),
    `lines anomalous on their own: ${fmt(flagged.length)} (${((100 * flagged.length) / Math.max(1, r.lines)).toFixed(2)}%)`,
  ];
  const shown = flagged.sort((a, b) => b.v.score - a.v.score || a.i - b.i).slice(0, top);
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

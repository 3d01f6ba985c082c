// `logfaas parse`: the parse-log core offline, on a file or stdin; NDJSON events to stdout.
import { createReadStream } from 'node:fs';
import { DEFAULT_MULTILINE_LIMITS } from '../../core/multiline.js';
import { type Batch, splitText } from '../../functions/parse-log/body.js';
import {
  countsByCanonical,
  parseBatch,
  resolveLimits,
  TemplateMiner,
} from '../../functions/parse-log/pipeline.js';
import { RecordBatcher } from '../../functions/parse-log/records.js';
import { parseFlags, strFlag } from '../args.js';
import { type Command, EXIT, UsageError } from '../command.js';
import { logFormatFlag } from '../log-format-flag.js';
import { sourceFromPath } from '../source-name.js';

const HELP = `logfaas parse: parse log lines and mine their templates, offline (no stack needed)

Usage: logfaas parse [options] [FILE]

Reads FILE (or stdin) and writes one JSON event per input line to stdout, in input order, each with
its templateId and template (schema: docs/event-schema.md). A stack trace (Java/Kotlin, Python, Go)
or indented continuation lines make one event with the line before them, the rest in its "stack"
(--no-multiline: one event per line). Formats are detected per line (seed,
Apache/Nginx, syslog, JSON, logfmt, Python, log4j, plain text); --log-format adds a Loghub-style
format string that is tried first. Templates are mined with the same generic defaults as the
parse-log function.

Options:
  -f, --log-format FMT   Loghub-style format, e.g. '<Date> <Time> <Level> <Component>: <Content>'
                         (literal brackets escaped: '\\[<Time>\\] <Content>')
  -s, --source NAME      source name; templates are kept per source (default: as logfaas send names it)
      --templates        print the templates found (count, id, template) instead of events
      --no-multiline     one event per line: do not group stack traces into one event
  -h, --help             this help

Exit codes: 0 ok, 1 cannot read the input, 2 usage (e.g. a bad format string).

Examples:
  logfaas parse app.log > events.ndjson
  logfaas parse --log-format '<Date> <Time> <Pid> <Level> <Component>: <Content>' --source hdfs HDFS_2k.log
  tail -f /var/log/syslog | logfaas parse --source syslog | jq -r '.level + " " + .template'
  logfaas parse --templates --source web access.log
`;

const SPEC = {
  'log-format': { type: 'string', short: 'f' },
  source: { type: 'string', short: 's' },
  templates: { type: 'boolean' },
  'no-multiline': { type: 'boolean' },
} as const;

const BATCH = 500;

export const parseCommand: Command = {
  name: 'parse',
  summary: 'parse log lines and mine templates offline (file or stdin -> NDJSON)',
  help: HELP,
  async run(argv, io) {
    const { flags, files } = parseFlags(argv, SPEC);
    if (files.length > 1) throw new UsageError('give at most one FILE (or none, to read stdin)');
    const source = strFlag(flags.source) ?? sourceFromPath(files[0] ?? '-');
    const format = logFormatFlag(strFlag(flags['log-format']));
    const limits = resolveLimits();
    const miner = new TemplateMiner(source, limits);
    const counts = new Map<string, number>();
    const listOnly = flags.templates === true;
    const input = files[0] ? createReadStream(files[0]) : io.stdin;

    // `logfaas parse big.log | head`: a closed pipe ends the run quietly, as for other Unix tools.
    let closed = false;
    let wake: (() => void) | undefined;
    io.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') closed = true;
      wake?.();
    });

    // Records are grouped across read chunks: a trace cut by a chunk boundary is still one event.
    const multiline = flags['no-multiline'] === true ? undefined : DEFAULT_MULTILINE_LIMITS;
    const records = multiline ? new RecordBatcher(multiline) : undefined;
    const write = async (batch: Batch) => {
      if (closed || batch.lines.length === 0) return;
      const events = parseBatch(batch.lines, undefined, {
        source,
        format,
        limits,
        miner,
        now: Date.now(),
        preProblems: batch.problems,
        multiline,
      });
      if (listOnly) {
        for (const e of events) counts.set(e.templateId, (counts.get(e.templateId) ?? 0) + 1);
        return;
      }
      let out = '';
      for (const e of events) out += `${JSON.stringify(e)}\n`;
      if (!io.stdout.write(out) && !closed) {
        await new Promise<void>((r) => {
          wake = r;
          io.stdout.once('drain', r);
        });
        wake = undefined;
      }
    };

    const emit = (bytes: Uint8Array) => {
      const batch = splitText(bytes);
      return write(records ? records.push(batch) : batch);
    };
    try {
      await forEachLineBatch(input, emit, () => closed);
      if (records) await write(records.end());
    } catch (e) {
      io.stderr.write(`logfaas parse: cannot read ${files[0] ?? 'stdin'}: ${(e as Error).message}\n`);
      return EXIT.failure;
    }
    if (listOnly) {
      // Templates merged since their first lines were counted are listed once, under their canonical id.
      const rows = [...countsByCanonical(miner, counts).entries()].sort((a, b) => b[1] - a[1]);
      for (const [id, n] of rows)
        io.stdout.write(`${String(n).padStart(8)}  ${id}  ${miner.get(id)?.text ?? ''}\n`);
    }
    return EXIT.ok;
  },
};

/** Calls `fn` with runs of whole lines (about BATCH lines each), as raw bytes so bad UTF-8 is seen per line. */
async function forEachLineBatch(
  input: NodeJS.ReadableStream,
  fn: (bytes: Uint8Array) => Promise<void>,
  stop: () => boolean,
): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let newlines = 0;
  for await (const chunk of input) {
    if (stop()) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    pending = pending.length ? Buffer.concat([pending, buf]) : buf;
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) newlines++;
    if (newlines < BATCH) continue;
    const cut = pending.lastIndexOf(10);
    await fn(pending.subarray(0, cut + 1));
    pending = pending.subarray(cut + 1);
    newlines = 0;
  }
  if (pending.length) await fn(pending);
}

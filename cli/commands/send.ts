// `logfaas send`: log files (or stdin) to a running logfaas, in bounded chunks, resumable, with a
// progress bar on a terminal and one parseable summary line otherwise.
import { type FileHandle, open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { DEFAULT_MULTILINE_LIMITS } from '../../core/multiline.js';
import { GATEWAY_FLAGS, GATEWAY_HELP, intFlag, parseFlags, strFlag } from '../args.js';
import { type CliIo, type Command, EXIT, UsageError } from '../command.js';
import { type ChunkLimits, fileChunks, looksBinary, streamChunks } from '../file-chunks.js';
import { CliError, type Gateway, preflight, resolveGateway } from '../gateway-client.js';
import { createProgressBar, fmtInt, fmtMB } from '../progress.js';
import { type PostOptions, postChunk, sendAll } from '../send-pipeline.js';
import {
  confirmedLines,
  confirmRange,
  defaultStateDir,
  fileIdentity,
  freshState,
  loadState,
  type SendState,
  saveState,
  stateFilePath,
} from '../send-state.js';

const HELP = `logfaas send: send log files (or stdin) to a running logfaas

Usage: logfaas send [options] [FILE... | -]

Lines go to the producer function in chunks (default 5,000 lines / 4 MB per request, 3 requests in
flight); a chunk counts as sent only once the producer confirmed every line of it. Interrupted sends
resume where they stopped (state in ~/.logfaas/send-state/), without sending a line twice. A request
never ends inside a stack trace (Java, Python, Go) or indented continuation lines, so each one stays one
event.

Options:
  -s, --source NAME    source name for the lines (default: the file name without extension; stdin: stdin)
  -f, --format FMT     log format hint for parse-log (e.g. combined, json, logfmt); default: detect
  -F, --follow         keep sending lines appended to FILE, across rotation and truncation, until Ctrl-C
      --resume         continue from saved progress (the default)
      --no-resume      ignore saved progress and send the whole file again (as new lines)
      --state FILE     keep progress in FILE instead of ~/.logfaas/send-state/ (env LOGFAAS_STATE_DIR)
      --batch-lines N  lines per request (default 5000)
      --batch-bytes N  bytes per request (default 4194304)
      --parallel N     requests in flight (default 3)
      --gzip           compress requests
      --no-multiline   one event per line: no stack-trace grouping (here and in parse-log)
      --retries N      retries of a request answered 429/502/503/504 (default 2)
      --interval MS    --follow: how often to look for new data (default 500)
      --json           summary as one JSON object
${GATEWAY_HELP}

Output: a progress bar (lines, MB, lines/s, ETA) on stderr when it is a terminal; then one summary
line on stdout: \`sent lines=N bytes=N seconds=S lines_per_sec=N ...\` (or JSON with --json).

Exit codes: 0 sent, 1 failed (missing or binary file, gateway error mid-send: the confirmed count is
printed and a rerun resumes), 2 usage, 3 gateway unreachable, 4 authentication failed.

Examples:
  logfaas send /var/log/nginx/access.log --source nginx --format combined
  logfaas send app.log other.log --gateway http://gateway:8080 --password "$PW"
  zcat old.log.gz | logfaas send - --source archive
  logfaas send --follow /var/log/app.log
  logfaas send big.log --json | jq .lines_per_sec
`;

const SPEC = {
  ...GATEWAY_FLAGS,
  source: { type: 'string', short: 's' },
  format: { type: 'string', short: 'f' },
  follow: { type: 'boolean', short: 'F' },
  'no-resume': { type: 'boolean' },
  'no-multiline': { type: 'boolean' },
  resume: { type: 'boolean' },
  state: { type: 'string' },
  'batch-lines': { type: 'string' },
  'batch-bytes': { type: 'string' },
  parallel: { type: 'string' },
  gzip: { type: 'boolean' },
  retries: { type: 'string' },
  interval: { type: 'string' },
} as const;

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

interface Totals {
  lines: number;
  bytes: number;
  totalBytes?: number;
  resumedLines: number;
  started: number;
}

export const sendCommand: Command = {
  name: 'send',
  summary: 'send log files or stdin to a running logfaas (resumable, --follow)',
  help: HELP,
  run: (argv, io) => runSend(argv, io),
};

export async function runSend(argv: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const { flags, files } = parseFlags(argv, SPEC);
  const inputs = files.length ? files : ['-'];
  const follow = flags.follow === true;
  const resume = flags['no-resume'] !== true;
  const stdinCount = inputs.filter((f) => f === '-').length;
  if (stdinCount > 1) throw new UsageError('stdin (-) can be given once');
  if (stdinCount && io.stdin.isTTY)
    throw new UsageError('no input: give FILE... or pipe lines into stdin (see --help)');
  if (follow && (inputs.length !== 1 || stdinCount)) throw new UsageError('--follow takes exactly one FILE');
  if (flags.state !== undefined && inputs.length !== 1)
    throw new UsageError('--state takes exactly one FILE');
  const source = strFlag(flags.source);
  if (source !== undefined && !SOURCE.test(source))
    throw new UsageError(`--source must match ${SOURCE.source}`);
  const multiline = flags['no-multiline'] !== true;
  const limits: ChunkLimits = {
    maxLines: intFlag(flags['batch-lines'], 'batch-lines', 5000),
    maxBytes: intFlag(flags['batch-bytes'], 'batch-bytes', 4 * 1024 * 1024, 1024),
    multiline: multiline ? DEFAULT_MULTILINE_LIMITS : undefined,
  };
  const parallel = intFlag(flags.parallel, 'parallel', 3);
  const interval = intFlag(flags.interval, 'interval', 500, 10);
  const post: Omit<PostOptions, 'source'> = {
    format: strFlag(flags.format),
    gzip: flags.gzip === true,
    multiline,
    retries: intFlag(flags.retries, 'retries', 2, 0),
  };
  const bar = createProgressBar(io.stderr);
  const totals: Totals = { lines: 0, bytes: 0, resumedLines: 0, started: Date.now() };

  // Ctrl-C ends --follow cleanly: in-flight chunks finish, progress is saved, the summary printed.
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  signal?.addEventListener('abort', onSigint);
  if (follow) process.once('SIGINT', onSigint);
  try {
    // Every file is checked before anything is sent: a typo in the third name sends nothing.
    const checked = await Promise.all(inputs.map((f) => (f === '-' ? null : checkFile(f))));
    const gw = resolveGateway(flags, io.env);
    await preflight(gw, 'producer');
    totals.totalBytes = stdinCount || follow ? undefined : 0;
    const stateDir = defaultStateDir(io.env);
    const progress = () => bar.update({ ...totals, elapsedMs: Date.now() - totals.started });
    const onChunk = (lines: number, bytes: number) => {
      totals.lines += lines;
      totals.bytes += bytes;
      progress();
    };

    for (const [i, input] of inputs.entries()) {
      const src = source ?? sourceFromName(input);
      if (input === '-') {
        const key = `stdin-${crypto.randomUUID()}`;
        await sendAll(
          streamChunks(io.stdin as AsyncIterable<Uint8Array>, limits),
          (c) => postChunk(gw, c, `${key}:${c.start}`, { ...post, source: src }),
          parallel,
          (c) => onChunk(c.lines, c.end - c.start),
        );
        continue;
      }
      const abs = checked[i]!;
      const fileOpts = {
        gw,
        abs,
        source: src,
        limits,
        parallel,
        post,
        resume,
        follow,
        interval,
        stateDir,
        stateFile: strFlag(flags.state),
      };
      await sendFile(fileOpts, totals, onChunk, stop.signal, io);
    }
    bar.done();
    io.stdout.write(summary(totals, flags.json === true, io.stdout.isTTY === true));
    return EXIT.ok;
  } catch (e) {
    bar.done();
    if (!(e instanceof CliError)) throw e;
    let tail = '';
    if (e.exitCode === EXIT.failure || e.exitCode === EXIT.unreachable) {
      if (totals.lines === 0) tail = totals.resumedLines ? '; no new lines confirmed' : '; nothing was sent';
      else if (stdinCount) tail = `; ${fmtInt(totals.lines)} lines confirmed (stdin cannot resume)`;
      else tail = `; ${fmtInt(totals.lines)} lines confirmed and saved: run the same command again to resume`;
    }
    io.stderr.write(`logfaas send: ${e.message}${tail}\n`);
    return e.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
    signal?.removeEventListener('abort', onSigint);
  }
}

/** Resolves FILE to an absolute path, or fails (exit 1) if it is missing, a directory or binary. */
async function checkFile(file: string): Promise<string> {
  const abs = resolve(file);
  let fh: FileHandle;
  try {
    fh = await open(abs, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code;
    throw new CliError(`cannot read ${file}: ${why}`, EXIT.failure);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new CliError(`${file} is a directory: give log files`, EXIT.failure);
    const head = Buffer.alloc(8192);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (looksBinary(head.subarray(0, bytesRead))) {
      throw new CliError(`${file} looks binary (NUL bytes in its first 8 KB)`, EXIT.failure);
    }
  } finally {
    await fh.close();
  }
  return abs;
}

interface FileOptions {
  gw: Gateway;
  abs: string;
  source: string;
  limits: ChunkLimits;
  parallel: number;
  post: Omit<PostOptions, 'source'>;
  resume: boolean;
  follow: boolean;
  interval: number;
  stateDir: string;
  stateFile?: string;
}

async function sendFile(
  o: FileOptions,
  totals: Totals,
  onChunk: (lines: number, bytes: number) => void,
  stop: AbortSignal,
  io: CliIo,
): Promise<void> {
  let fh = await open(o.abs, 'r');
  try {
    let st = await fh.stat();
    let { state, file } = openState(o, st, o.resume);
    const skipped = confirmedLines(state);
    if (skipped > 0) {
      totals.resumedLines += skipped;
      if (io.stderr.isTTY) io.stderr.write(`resuming ${o.abs}: ${fmtInt(skipped)} lines already sent\n`);
    }
    if (totals.totalBytes !== undefined)
      totals.totalBytes += st.size - state.offset - state.ahead.reduce((n, r) => n + r.end - r.start, 0);
    const sendRange = async (from: number, to: number, final: boolean) => {
      const post = { ...o.post, source: o.source };
      await sendAll(
        fileChunks(fh, from, to, state.ahead, o.limits, final),
        (c) => postChunk(o.gw, c, `${state.keyBase}:${c.start}`, post),
        o.parallel,
        (c) => {
          confirmRange(state, { start: c.start, end: c.end, lines: c.lines });
          saveState(file, state);
          onChunk(c.lines, c.end - c.start);
        },
      );
    };
    await sendRange(state.offset, st.size, !o.follow);
    if (!o.follow) return;

    while (!stop.aborted) {
      await sleep(o.interval, stop);
      const now = await fh.stat();
      const atPath = await stat(o.abs).catch(() => null);
      if (now.size < state.offset) {
        // Truncated in place (copytruncate): start over with new keys, or the new lines would look
        // like the old ones to the downstream duplicate check.
        state = {
          ...freshState(o.abs, now),
          keyBase: `${fileIdentity(o.abs, now)}-t${Date.now().toString(36)}`,
        };
        saveState(file, state);
      }
      if (now.size > state.offset) await sendRange(state.offset, now.size, false);
      if (atPath && atPath.ino !== now.ino) {
        // Rotated: finish the old file (including a last line without newline), then follow the new one.
        const end = (await fh.stat()).size;
        if (end > state.offset) await sendRange(state.offset, end, true);
        await fh.close();
        fh = await open(o.abs, 'r');
        st = await fh.stat();
        ({ state, file } = openState(o, st, true));
      }
    }
  } finally {
    await fh.close().catch(() => {});
  }
}

function openState(
  o: FileOptions,
  st: { dev: number; ino: number; size: number },
  resume: boolean,
): { state: SendState; file: string } {
  const file = o.stateFile ?? stateFilePath(o.stateDir, o.abs, st);
  let state = resume ? loadState(file) : null;
  // Another file behind the same name, or one now shorter than what was sent: not resumable.
  if (state && (state.ino !== st.ino || state.dev !== st.dev || state.offset > st.size)) state = null;
  return { state: state ?? freshState(o.abs, st, !resume), file };
}

/** `app.log` -> `app`, `nginx-access.log.1` -> `nginx-access`; stdin -> `stdin`. */
export function sourceFromName(file: string): string {
  if (file === '-') return 'stdin';
  const base = basename(file).replace(/(\.(log|txt|json|ndjson|out|err|\d+))+$/i, '');
  const clean = base
    .replace(/[^A-Za-z0-9._:-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return clean || 'default';
}

function summary(t: Totals, json: boolean, tty: boolean): string {
  const sec = Math.max((Date.now() - t.started) / 1000, 0.001);
  const fig = {
    lines: t.lines,
    bytes: t.bytes,
    seconds: Number(sec.toFixed(2)),
    lines_per_sec: Math.round(t.lines / sec),
    mb_per_sec: Number((t.bytes / 1e6 / sec).toFixed(2)),
    resumed_lines: t.resumedLines,
  };
  if (json) return `${JSON.stringify(fig)}\n`;
  if (tty) {
    const resumed = t.resumedLines ? ` (${fmtInt(t.resumedLines)} sent earlier)` : '';
    return `sent ${fmtInt(t.lines)} lines (${fmtMB(t.bytes)} MB) in ${sec.toFixed(1)}s: ${fmtInt(fig.lines_per_sec)} lines/s, ${fig.mb_per_sec} MB/s${resumed}\n`;
  }
  return `sent ${Object.entries(fig)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}\n`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        r();
      },
      { once: true },
    );
  });
}

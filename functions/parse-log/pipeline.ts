// The pure parsing core: lines in, LogEvents out (format detection, timestamp and level
// normalisation, template mining). No Node imports, no I/O: it runs unchanged in workerd.
import { EVENT_SCHEMA_VERSION, type LogEvent } from '../../core/event.js';
import { keepStringPrototypeFast } from '../../core/fast-strings.js';
import { TemplateMiner } from './drain.js';
import { type CustomFormat, compileFormat } from './formats/custom.js';
import { parseLine } from './formats/detect.js';
import { fits } from './holes.js';
import { type ParseLimits, resolveLimits } from './limits.js';
import {
  absorbUnits,
  type LineTokens,
  lineTokens,
  maskDateWords,
  maskToken,
  type ParamSink,
  shapeHash,
  tokenizeAndMask,
  WILDCARD,
} from './mask.js';
import { isCleanLine, sanitizeLine } from './sanitize.js';
import { templateIdFor } from './template-id.js';
import { type DayCache, formatIso, parseTimestamp } from './timestamp.js';

export { TemplateMiner } from './drain.js';
export { type CustomFormat, compileFormat, FormatError } from './formats/custom.js';
export { DEFAULT_LIMITS, type ParseLimits, resolveLimits } from './limits.js';

export interface ParseContext {
  source: string;
  format?: CustomFormat;
  limits: ParseLimits;
  miner: TemplateMiner;
  /** Receive time (epoch ms): the timestamp of lines without one, and the anchor for year-less dates. */
  now: number;
  /** Per-line problems found before the text existed as a string (e.g. `invalid_utf8`). */
  preProblems?: (string[] | undefined)[];
}

/** Parses a batch in input order; always exactly one event per line. */
export function parseBatch(
  lines: string[],
  labels: (string | null)[] | undefined,
  ctx: ParseContext,
): LogEvent[] {
  keepStringPrototypeFast();
  const out = new Array<LogEvent>(lines.length);
  const receivedAt = new Date(ctx.now).toISOString();
  // Neighbouring lines often share a timestamp text; remember the last conversion.
  const clock: TimeCache = { text: '', iso: undefined, day: -1, prefix: '', minute: -1, minutePrefix: '' };
  const scratch: Scratch = { line: lineTokens(), params: new ParamCollector() };
  for (let i = 0; i < lines.length; i++) {
    const ev = parseOne(lines[i], ctx, receivedAt, clock, scratch, ctx.preProblems?.[i]);
    const label = labels?.[i];
    if (typeof label === 'string') ev.label = label;
    out[i] = ev;
  }
  return out;
}

interface TimeCache extends DayCache {
  text: string;
  iso: string | undefined;
}

function resolveTime(
  p: { tsMs?: number; tsText?: string; tsParts?: string[] },
  now: number,
  clock: TimeCache,
): string | undefined {
  if (p.tsMs === undefined && p.tsText === clock.text) return clock.iso;
  let ms = p.tsMs ?? parseTimestamp(p.tsText!, now);
  for (let i = 0; ms === undefined && p.tsParts && i < p.tsParts.length; i++)
    ms = parseTimestamp(p.tsParts[i], now);
  const iso =
    ms !== undefined && Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? formatIso(ms, clock) : undefined;
  if (p.tsMs === undefined) {
    clock.text = p.tsText!;
    clock.iso = iso;
  }
  return iso;
}

function parseOne(
  line: string,
  ctx: ParseContext,
  receivedAt: string,
  clock: TimeCache,
  scratch: Scratch,
  pre?: string[],
): LogEvent {
  // A clean line (nearly all of them) is used as it is, and no problems array exists until a
  // problem does: two fewer allocations per line.
  let text = line;
  let raw = line;
  let problems: string[] | undefined = pre?.length ? pre.slice() : undefined;
  if (!isCleanLine(line, ctx.limits.maxLineBytes)) {
    const clean = sanitizeLine(line, ctx.limits.maxLineBytes);
    text = clean.text;
    raw = clean.raw;
    if (clean.problems.length) (problems ??= []).push(...clean.problems);
  }
  const p = parseLine(text, ctx.format);
  if (p.problems) (problems ??= []).push(...p.problems);
  let timestamp = receivedAt;
  if (p.tsMs !== undefined || p.tsText !== undefined) {
    const iso = resolveTime(p, ctx.now, clock);
    if (iso !== undefined) timestamp = iso;
    else (problems ??= []).push('bad_timestamp');
  }
  const mined = mine(p.message, ctx, scratch);
  if (mined.tooManyTokens) (problems ??= []).push('too_many_tokens');
  const ev: LogEvent = {
    v: EVENT_SCHEMA_VERSION,
    timestamp,
    source: ctx.source,
    level: p.level ?? 'info',
    message: p.message,
    format: p.format,
    templateId: mined.id,
    template: mined.template,
    params: mined.params,
    raw,
  };
  if (p.tsText !== undefined) ev.timestampOriginal = p.tsText;
  if (p.service !== undefined) ev.service = p.service;
  if (p.host !== undefined) ev.host = p.host;
  if (p.http) ev.http = p.http;
  if (p.fields) ev.fields = p.fields;
  if (problems) ev.problems = problems;
  return ev;
}

interface Mined {
  id: string;
  template: string;
  params: string[];
  tooManyTokens: boolean;
}

/** Per-batch scratch reused by every line (parsing is synchronous): no token arrays per line. */
interface Scratch {
  line: LineTokens;
  params: ParamCollector;
}

/** Collects a line's params into a reused array (`maskToken` pushes to it as to an array). */
class ParamCollector implements ParamSink {
  readonly into: string[] = [];
  count = 0;
  push(text: string): void {
    this.into[this.count++] = text;
  }
}

function mine(message: string, ctx: ParseContext, scratch: Scratch): Mined {
  const lt = scratch.line;
  let hash: number | undefined = tokenizeAndMask(message, lt);
  let tokens = lt.raw;
  let masked = lt.masked;
  let n = lt.n;
  const max = ctx.limits.maxTokens;
  const tooManyTokens = n > max;
  if (tooManyTokens) {
    tokens = [...tokens.slice(0, max - 1), tokens.slice(max - 1, n).join(' ')];
    masked = masked.slice(0, max);
    masked[max - 1] = WILDCARD;
    n = max;
    hash = undefined;
  }
  const folded = absorbUnits(tokens, masked, n);
  if (folded !== n) {
    n = folded;
    hash = undefined;
  }
  if (maskDateWords(masked, n)) hash = undefined;
  if (n === 0) return { id: templateIdFor(ctx.source, []), template: '', params: [], tooManyTokens };
  hash ??= shapeHash(masked, n);
  // A shape seen before (nearly every line once a source is warm) needs no array of its own; a new
  // one is handed to the miner as an exact copy, since the miner keeps it.
  const cluster =
    ctx.miner.seenCluster(masked, n, hash) ?? ctx.miner.add(masked.slice(0, n), ctx.now, hash).cluster;
  return {
    id: cluster.id,
    template: cluster.text,
    params: extractParams(cluster.tokens, tokens, n, scratch.params),
    tooManyTokens,
  };
}

/**
 * The text each `<*>` of the template stands for in this line (the first `n` of `tokens`), returned
 * as an array of exactly that size: events keep their params until the batch is encoded, and an
 * array grown by push keeps room for 16.
 */
function extractParams(template: string[], tokens: string[], n: number, params: ParamCollector): string[] {
  params.count = 0;
  if (template.length !== n) {
    // Joined by signature with a different number of variables: every masked part is a parameter.
    for (let i = 0; i < n; i++) maskToken(tokens[i], params);
  } else {
    for (let i = 0; i < n; i++) {
      const t = template[i];
      if (t === WILDCARD) params.push(tokens[i]);
      else if (t.includes(WILDCARD)) {
        // A hole kept its key or punctuation (`user=<*>`): the value is what stands between them.
        const at = t.indexOf(WILDCARD);
        const m = maskToken(tokens[i]);
        if (m !== t && fits(t, tokens[i]))
          params.push(tokens[i].slice(at, tokens[i].length - (t.length - at - 3)));
        else maskToken(tokens[i], params);
      }
    }
  }
  return params.count === 0 ? [] : params.into.slice(0, params.count);
}

export interface LineParserOptions {
  source: string;
  format?: string;
  now?: () => number;
  limits?: Partial<ParseLimits>;
}

/** Offline, in-memory parsing and mining (no KV): for the CLI, evaluation and analysis tools. */
export function createLineParser(opts: LineParserOptions): {
  parse(lines: string[], labels?: (string | null)[]): LogEvent[];
  miner: TemplateMiner;
} {
  const limits = resolveLimits(opts.limits);
  const miner = new TemplateMiner(opts.source, limits);
  const format = opts.format ? compileFormat(opts.format) : undefined;
  const now = opts.now ?? Date.now;
  return {
    miner,
    parse: (lines, labels) =>
      parseBatch(lines, labels, { source: opts.source, format, limits, miner, now: now() }),
  };
}

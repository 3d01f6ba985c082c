// The pure parsing core: lines in, LogEvents out (format detection, timestamp and level
// normalisation, template mining). No Node imports, no I/O: it runs unchanged in workerd.
import { EVENT_SCHEMA_VERSION, type LogEvent } from '../../core/event.js';
import { type DayCache, formatIso, wholeIsoMs } from '../../core/event-time.js';
import { keepStringPrototypeFast } from '../../core/fast-strings.js';
import type { LineMeta } from '../../core/line-meta.js';
import { MULTILINE_TRUNCATED, type MultilineLimits, splitRecord } from '../../core/multiline.js';
import { TemplateMiner } from './drain.js';
import { type CustomFormat, compileFormat } from './formats/custom.js';
import { parseLine } from './formats/detect.js';
import { fits } from './holes.js';
import { normalizeLevel } from './level.js';
import { type ParseLimits, resolveLimits } from './limits.js';
import {
  type LineTokens,
  lineTokens,
  maskToken,
  type ParamSink,
  shapeHash,
  tokenizeAndMask,
  WILDCARD,
} from './mask.js';
import { isCleanLine, sanitizeLine } from './sanitize.js';
import { templateIdFor } from './template-id.js';
import { parseTimestamp } from './timestamp.js';
import { absorbUnits, collapseQuotedValues, keepHttpStatus, maskDateWords } from './token-passes.js';

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
  /**
   * Multi-line events on: an entry holding `\n` is a record (its first line is parsed, the rest is the
   * event's `stack`, held to these limits). Off: `\n` is just a character of the line.
   */
  multiline?: MultilineLimits;
  /** Per line, what the sender's protocol knew (envelope `meta`): it wins over what the text says. */
  meta?: (LineMeta | null)[];
}

/**
 * Parses a batch in input order; always exactly one event per entry (a line, or a record of lines).
 * `times`, when given, receives each event's time as epoch ms whose formatIso is exactly its timestamp
 * (NaN where not known): the compact encoder then need not read the timestamps back (core/event-batch.ts).
 */
export function parseBatch(
  lines: string[],
  labels: (string | null)[] | undefined,
  ctx: ParseContext,
  times?: Float64Array,
): LogEvent[] {
  const out = new Array<LogEvent>(lines.length);
  eachParsed(lines, labels, ctx, (ev, i, ms) => {
    out[i] = ev;
    if (times) times[i] = ms;
  });
  return out;
}

/**
 * parseBatch one event at a time, each handed to `take` with its index and its time as parseBatch's
 * `times` holds it, and not kept: an encoder that takes them (core/event-batch-bin.ts
 * EventBatchBinWriter) lets each die young, where a batch of them alive at once was copied by every
 * young-generation collection during the batch (docs/capacity.md).
 */
export function eachParsed(
  lines: string[],
  labels: (string | null)[] | undefined,
  ctx: ParseContext,
  take: (ev: LogEvent, i: number, ms: number) => void,
): void {
  keepStringPrototypeFast();
  const receivedAt = new Date(ctx.now).toISOString();
  // Neighbouring lines often share a timestamp text; remember the last conversion.
  const clock: TimeCache = {
    text: '',
    iso: undefined,
    textMs: Number.NaN,
    ms: Number.NaN,
    day: -1,
    prefix: '',
    minute: -1,
    minutePrefix: '',
  };
  const scratch: Scratch = { line: lineTokens(), params: new ParamCollector() };
  const receivedMs = wholeIsoMs(ctx.now);
  for (let i = 0; i < lines.length; i++) {
    clock.ms = receivedMs;
    const ev = parseOne(lines[i], ctx, receivedAt, clock, scratch, ctx.preProblems?.[i]);
    const label = labels?.[i];
    if (typeof label === 'string') ev.label = label;
    const meta = ctx.meta?.[i];
    if (meta) applyMeta(ev, meta);
    take(ev, i, meta ? Number.NaN : clock.ms);
  }
}

/** A protocol's own time, level and attributes (OTLP, Loki push) over what was read from the text. */
function applyMeta(ev: LogEvent, m: LineMeta): void {
  if (m.ts !== undefined && Number.isFinite(m.ts) && Math.abs(m.ts) < 8.64e15) {
    ev.timestamp = new Date(Math.floor(m.ts)).toISOString();
    if (ev.problems?.includes('bad_timestamp')) {
      const rest = ev.problems.filter((p) => p !== 'bad_timestamp');
      if (rest.length) ev.problems = rest;
      else delete ev.problems;
    }
  }
  const level = normalizeLevel(m.level);
  if (level) ev.level = level;
  if (m.service) ev.service = m.service;
  if (m.host) ev.host = m.host;
  if (m.fields) ev.fields = ev.fields ? { ...ev.fields, ...m.fields } : { ...m.fields };
}

interface TimeCache extends DayCache {
  text: string;
  iso: string | undefined;
  /** The cached text's epoch ms (wholeIsoMs, core/event-time.ts). */
  textMs: number;
  /** The last event's time, as parseBatch's `times` holds it. */
  ms: number;
}

function resolveTime(
  p: { tsMs?: number; tsText?: string; tsParts?: string[] },
  now: number,
  clock: TimeCache,
): string | undefined {
  if (p.tsMs === undefined && p.tsText === clock.text) {
    if (clock.iso !== undefined) clock.ms = clock.textMs;
    return clock.iso;
  }
  let ms = p.tsMs ?? parseTimestamp(p.tsText!, now);
  for (let i = 0; ms === undefined && p.tsParts && i < p.tsParts.length; i++)
    ms = parseTimestamp(p.tsParts[i], now);
  const iso =
    ms !== undefined && Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? formatIso(ms, clock) : undefined;
  if (iso !== undefined) clock.ms = wholeIsoMs(ms!);
  if (p.tsMs === undefined) {
    clock.text = p.tsText!;
    clock.iso = iso;
    clock.textMs = iso === undefined ? Number.NaN : clock.ms;
  }
  return iso;
}

function parseOne(
  entry: string,
  ctx: ParseContext,
  receivedAt: string,
  clock: TimeCache,
  scratch: Scratch,
  pre?: string[],
): LogEvent {
  // A clean line (nearly all of them) is used as it is, and no problems array exists until a
  // problem does: two fewer allocations per line.
  let problems: string[] | undefined = pre?.length ? pre.slice() : undefined;
  let stack: string | undefined;
  let line = entry;
  if (ctx.multiline !== undefined && entry.indexOf('\n') !== -1) {
    const r = splitRecord(entry, ctx.multiline);
    line = r.first;
    stack = r.stack;
    if (r.cut && !problems?.includes(MULTILINE_TRUNCATED)) (problems ??= []).push(MULTILINE_TRUNCATED);
  }
  let text = line;
  let raw = line;
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
  // Every field in one literal, absent ones undefined (JSON leaves them out): events of every format then
  // share one hidden class, so the encoder and whatever reads them stay monomorphic. Adding the optional
  // ones one by one made a shape per combination, and the encoder's reads of them megamorphic.
  const ev: LogEvent = {
    v: EVENT_SCHEMA_VERSION,
    timestamp,
    timestampOriginal: p.tsText,
    source: ctx.source,
    service: p.service,
    host: p.host,
    level: p.level ?? 'info',
    message: p.message,
    http: p.http,
    format: p.format,
    templateId: mined.id,
    template: mined.template,
    params: mined.params,
    fields: p.fields,
    raw,
    problems,
    label: undefined,
    stack,
  };
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
  // Passes over whole tokens (mask.ts); each only joins tokens, so a changed line has fewer of them,
  // except dates and booleans, which are masked in place.
  let m = absorbUnits(tokens, masked, n);
  m = keepHttpStatus(tokens, masked, m);
  m = collapseQuotedValues(tokens, masked, m);
  if (maskDateWords(masked, m) || m !== n) {
    n = m;
    hash = undefined;
  }
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
        const before = params.count;
        if (maskToken(tokens[i], params) !== t && fits(t, tokens[i])) {
          const at = t.indexOf(WILDCARD);
          params.count = before;
          params.push(tokens[i].slice(at, tokens[i].length - (t.length - at - 3)));
        }
      }
    }
  }
  return params.count === 0 ? [] : params.into.slice(0, params.count);
}

/**
 * Line counts by template id, folded into the templates those ids were merged into since: lines parsed
 * before a merge carry the member's id (the miner keeps a merge's oldest member as the template).
 */
export function countsByCanonical(
  miner: TemplateMiner,
  counts: ReadonlyMap<string, number>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, n] of counts) {
    const c = miner.canonicalId(id);
    out.set(c, (out.get(c) ?? 0) + n);
  }
  return out;
}

export interface LineParserOptions {
  source: string;
  format?: string;
  now?: () => number;
  limits?: Partial<ParseLimits>;
  /** Entries holding `\n` are multi-line records (the caller groups lines, e.g. with MultilineGrouper). */
  multiline?: MultilineLimits;
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
      parseBatch(lines, labels, {
        source: opts.source,
        format,
        limits,
        miner,
        now: now(),
        multiline: opts.multiline,
      }),
  };
}

// parse-log configuration: one pure function of the environment (documented in docs/parse-log.md).
import { type Env, EnvReader } from '../../core/env.js';
import { type HttpConfig, readHttpConfig } from '../../core/http/config.js';
import { type MultilineConfig, readMultilineConfig } from '../../core/multiline-config.js';
import { readStoreConfig, type StoreConfig } from '../../core/stores-config.js';
import { compileFormat, FormatError } from './formats/custom.js';
import { DEFAULT_LIMITS, type ParseLimits } from './limits.js';

export interface ParseLogConfig {
  http: HttpConfig;
  store: StoreConfig;
  limits: ParseLimits;
  /** Per-source Loghub-style format strings, used when a request names none. */
  sourceFormats: Readonly<Record<string, string>>;
  /** How stale a replica's copy of a source's templates may get before it reloads them. */
  templateRefreshMs: number;
  /** Sources with templates of their own; later ones share the `_other` templates (events keep their source). */
  maxSources: number;
  /** Sources whose templates are kept in memory at once (LRU). */
  memorySources: number;
  /** Templates stored over all sources. */
  maxTemplatesTotal: number;
  /** Multi-line events: on by default, per source (SOURCE_MULTILINE), bounded per event. */
  multiline: MultilineConfig;
}

export function loadParseLogConfig(env: Env): ParseLogConfig {
  const r = new EnvReader(env);
  const limits: ParseLimits = {
    maxLineBytes: r.int('MAX_LINE_BYTES', DEFAULT_LIMITS.maxLineBytes, 64),
    maxTokens: r.int('MAX_TOKENS', DEFAULT_LIMITS.maxTokens, 2, 10_000),
    maxTemplatesPerSource: r.int('MAX_TEMPLATES_PER_SOURCE', DEFAULT_LIMITS.maxTemplatesPerSource, 1),
    similarity: r.num('SIMILARITY_THRESHOLD', DEFAULT_LIMITS.similarity, 0, 1),
    depth: r.int('TREE_DEPTH', DEFAULT_LIMITS.depth, 3, 16),
    maxChildren: r.int('MAX_CHILDREN', DEFAULT_LIMITS.maxChildren, 1),
    maxWordConflicts: r.int('MAX_WORD_CONFLICTS', DEFAULT_LIMITS.maxWordConflicts, 0, 1000),
    holeMinValues: r.int('HOLE_MIN_VALUES', DEFAULT_LIMITS.holeMinValues, 2, 1000),
    holeMinLines: r.int('HOLE_MIN_LINES', DEFAULT_LIMITS.holeMinLines, 1, 1_000_000),
    holeRareRatio: r.num('HOLE_RARE_RATIO', DEFAULT_LIMITS.holeRareRatio, 0, 1),
    holeGroupShare: r.num('HOLE_GROUP_SHARE', DEFAULT_LIMITS.holeGroupShare, 0, 1),
    holeRareShare: r.num('HOLE_RARE_SHARE', DEFAULT_LIMITS.holeRareShare, 0, 1),
  };
  const sourceFormats = readSourceFormats(r);
  const cfg: ParseLogConfig = {
    http: readHttpConfig(r),
    store: readStoreConfig(r, env),
    limits,
    sourceFormats,
    // 10 s: a new template seen by one replica reaches the others within one refresh; one hgetall
    // per source per 10 s is negligible next to the batches themselves.
    templateRefreshMs: r.duration('TEMPLATE_REFRESH', 10_000),
    // 1,000 sources: far more applications than one pipeline serves; a flood of made-up source names
    // then shares one template set instead of growing the KV.
    maxSources: r.int('MAX_SOURCES', 1000, 1),
    // 100 sources in memory at once (LRU; the rest reload from the KV when they come back).
    memorySources: r.int('MEMORY_SOURCES', 100, 1),
    // 100,000 templates over all sources: ~25 MB in Redis at ~250 B per stored cluster, and 20x a full
    // source's cap, so it binds only when something floods templates.
    maxTemplatesTotal: r.int('MAX_TEMPLATES_TOTAL', 100_000, 1),
    multiline: readMultilineConfig(r),
  };
  r.done();
  return Object.freeze(cfg);
}

function readSourceFormats(r: EnvReader): Record<string, string> {
  const raw = r.optStr('SOURCE_FORMATS');
  if (!raw) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    r.problem('SOURCE_FORMATS must be a JSON object of source -> format string');
    return {};
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    r.problem('SOURCE_FORMATS must be a JSON object of source -> format string');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, f] of Object.entries(v as Record<string, unknown>)) {
    if (typeof f !== 'string') {
      r.problem(`SOURCE_FORMATS.${k} must be a string`);
      continue;
    }
    try {
      compileFormat(f);
      out[k] = f;
    } catch (e) {
      r.problem(`SOURCE_FORMATS.${k}: ${e instanceof FormatError ? e.message : String(e)}`);
    }
  }
  return out;
}

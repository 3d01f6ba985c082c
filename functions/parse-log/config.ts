// parse-log configuration: one pure function of the environment (documented in docs/parse-log.md).
import { type Env, EnvReader } from '../../core/env.js';
import { type HttpConfig, readHttpConfig } from '../../core/http/config.js';
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
  /** Sources whose templates are kept in memory at once (LRU). */
  maxSources: number;
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
    // 1,000 sources: at the template cap each source is a few MB at most; the LRU bounds the total.
    maxSources: r.int('MAX_SOURCES', 1000, 1),
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

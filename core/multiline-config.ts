// Whether lines are grouped into multi-line events (core/multiline.ts), read once from the environment
// by parse-log and the producer alike, and the per-request switch both of them honour.
import type { EnvReader } from './env.js';
import { BadRequestError } from './errors.js';
import { DEFAULT_MULTILINE_LIMITS, type MultilineLimits } from './multiline.js';

export interface MultilineConfig {
  /** Default for every source: MULTILINE (on). */
  enabled: boolean;
  /** SOURCE_MULTILINE: sources whose setting differs from the default (`{"nginx": "off"}`). */
  sources: Readonly<Record<string, boolean>>;
  limits: MultilineLimits;
}

export function readMultilineConfig(r: EnvReader): MultilineConfig {
  return {
    enabled: r.bool('MULTILINE', true),
    sources: readSources(r),
    limits: {
      maxLines: r.int('MULTILINE_MAX_LINES', DEFAULT_MULTILINE_LIMITS.maxLines, 1, 100_000),
      maxBytes: r.int('MULTILINE_MAX_BYTES', DEFAULT_MULTILINE_LIMITS.maxBytes, 64, 16 * 1024 * 1024),
    },
  };
}

function readSources(r: EnvReader): Record<string, boolean> {
  const raw = r.optStr('SOURCE_MULTILINE');
  if (!raw) return {};
  const bad = 'SOURCE_MULTILINE must be a JSON object of source -> "on" | "off"';
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    r.problem(bad);
    return {};
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    r.problem(bad);
    return {};
  }
  const out: Record<string, boolean> = {};
  for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
    const on = switchValue(s);
    if (on === undefined) r.problem(`SOURCE_MULTILINE.${k} must be "on" or "off"`);
    else out[k] = on;
  }
  return out;
}

function switchValue(v: unknown): boolean | undefined {
  if (v === true || v === false) return v;
  if (typeof v !== 'string') return undefined;
  if (/^(on|true|1|yes)$/i.test(v)) return true;
  if (/^(off|false|0|no)$/i.test(v)) return false;
  return undefined;
}

/**
 * The request's own switch (`?multiline=` or the `X-Multiline` header: on/off), undefined when it sets
 * none; anything else is a 400.
 */
export function requestedMultiline(query: string | null, header: string | null): boolean | undefined {
  const v = query ?? header;
  if (v === null || v === '') return undefined;
  const on = switchValue(v.trim());
  if (on === undefined) throw new BadRequestError(`multiline must be on or off, not ${JSON.stringify(v)}`);
  return on;
}

/** The request's switch, else the source's, else the default. */
export function multilineOn(cfg: MultilineConfig, source: string, requested: boolean | undefined): boolean {
  return requested ?? cfg.sources[source] ?? cfg.enabled;
}

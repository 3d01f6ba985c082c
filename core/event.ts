// The one event schema (version 1) that parse-log emits and detect-anomaly/stats consume.
// Documented in docs/event-schema.md; validateEvent is the runtime check used at function boundaries.

export const EVENT_SCHEMA_VERSION = 1 as const;

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

export interface HttpFields {
  method?: string;
  path?: string;
  status?: number;
  latency_ms?: number;
  bytes?: number;
  user_agent?: string;
  client_ip?: string;
}

export interface LogEvent {
  /** Schema version. */
  v: typeof EVENT_SCHEMA_VERSION;
  /** ISO 8601 UTC. When the line had no timestamp, the time parse-log received it. */
  timestamp: string;
  /** The timestamp text exactly as it appeared in the line, when there was one. */
  timestampOriginal?: string;
  /** Where the line came from (producer `?source=`, or a simulated system). Templates are kept per source. */
  source: string;
  service?: string;
  host?: string;
  level: Level;
  message: string;
  http?: HttpFields;
  /** Detected or requested format, e.g. `seed`, `combined`, `json`, `logfmt`, `syslog5424`, `custom`, `plain`. */
  format: string;
  templateId: string;
  /** Tokens joined by single spaces, `<*>` for parameters. */
  template: string;
  params: string[];
  /** Other structured fields found in the line (JSON keys, logfmt pairs, custom-format headers). */
  fields?: Record<string, string | number | boolean | null>;
  /** The input line (possibly truncated; see problems). For a multi-line event, its first line. */
  raw: string;
  /**
   * A multi-line event's other lines (stack trace, traceback, goroutine dump, indented continuation),
   * joined by `\n`; absent for a one-line event. Templates are mined from the first line only.
   */
  stack?: string;
  /** What was wrong with the line, if anything: `invalid_utf8`, `nul_bytes`, `truncated`, `empty`, `bad_json`, ... */
  problems?: string[];
  /** Ground-truth label carried by simulated lines; detectors never read it. */
  label?: string;
}

export interface AnomalyResult {
  event: LogEvent;
  /** 0..1, higher is more anomalous (Isolation Forest score, or 1 for a rule hit). */
  score: number;
  detector: 'model' | 'rules';
  reasons: string[];
  modelVersion?: number;
}

/** An HTTP number field (status, latency_ms, bytes) as scored: finite and >= 0, else absent. */
export function usableHttpNumber(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined;
}

export function isLevel(x: unknown): x is Level {
  return typeof x === 'string' && (LEVELS as readonly string[]).includes(x);
}

/** Returns a list of problems; empty means the value is a valid LogEvent. */
export function validateEvent(x: unknown): string[] {
  const errs: string[] = [];
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return ['event is not an object'];
  const e = x as Record<string, unknown>;
  if (e.v !== EVENT_SCHEMA_VERSION) errs.push(`v must be ${EVENT_SCHEMA_VERSION}`);
  for (const k of ['timestamp', 'source', 'message', 'format', 'templateId', 'template', 'raw'] as const) {
    if (typeof e[k] !== 'string') errs.push(`${k} must be a string`);
  }
  if (typeof e.timestamp === 'string' && Number.isNaN(Date.parse(e.timestamp)))
    errs.push('timestamp is not ISO 8601');
  if (!isLevel(e.level)) errs.push(`level must be one of ${LEVELS.join(', ')}`);
  if (!Array.isArray(e.params) || !e.params.every((p) => typeof p === 'string'))
    errs.push('params must be string[]');
  if (e.http !== undefined) {
    if (typeof e.http !== 'object' || e.http === null) errs.push('http must be an object');
    else {
      const h = e.http as Record<string, unknown>;
      for (const k of ['status', 'latency_ms', 'bytes'] as const) {
        if (h[k] !== undefined && (typeof h[k] !== 'number' || !Number.isFinite(h[k])))
          errs.push(`http.${k} must be a finite number`);
      }
    }
  }
  if (e.problems !== undefined && !Array.isArray(e.problems)) errs.push('problems must be an array');
  if (e.stack !== undefined && typeof e.stack !== 'string') errs.push('stack must be a string');
  return errs;
}

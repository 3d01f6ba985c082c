// Level normalisation to the schema's six levels, from names, syslog severities, HTTP statuses or,
// for free text, keywords.
import type { Level } from '../../core/event.js';

const NAMES: Record<string, Level> = {
  trace: 'trace',
  finest: 'trace',
  finer: 'trace',
  verbose: 'trace',
  debug: 'debug',
  dbg: 'debug',
  fine: 'debug',
  config: 'debug',
  info: 'info',
  information: 'info',
  informational: 'info',
  notice: 'info',
  i: 'info',
  warn: 'warn',
  warning: 'warn',
  w: 'warn',
  error: 'error',
  err: 'error',
  e: 'error',
  severe: 'error',
  fatal: 'fatal',
  f: 'fatal',
  critical: 'fatal',
  crit: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
  emergency: 'fatal',
  panic: 'fatal',
  d: 'debug',
  t: 'trace',
  // Three-letter forms of Serilog and NATS (`[INF]`, `[WRN]`), and MariaDB's `[Note]`.
  inf: 'info',
  wrn: 'warn',
  ftl: 'fatal',
  trc: 'trace',
  vrb: 'trace',
  note: 'info',
};

// The spellings seen in practice (`info`, `INFO`, `Info`), looked up without allocating.
const EXACT = new Map<string, Level>();
for (const [k, v] of Object.entries(NAMES)) {
  EXACT.set(k, v);
  EXACT.set(k.toUpperCase(), v);
  EXACT.set(k[0].toUpperCase() + k.slice(1), v);
}

const SEVERITY_DIGIT = /^[0-7]$/;

/** Maps a level name (any case, e.g. `WARNING`, `err`, `Notice`) or a syslog severity number. */
export function normalizeLevel(x: unknown): Level | undefined {
  if (typeof x === 'number') {
    if (x >= 0 && x <= 7) return severityLevel(x);
    // pino/bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
    if (x >= 10 && x <= 60 && x % 10 === 0)
      return (['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const)[x / 10 - 1];
    return undefined;
  }
  if (typeof x !== 'string' || x.length === 0 || x.length > 16) return undefined;
  const exact = EXACT.get(x);
  if (exact) return exact;
  const hit = NAMES[x.trim().toLowerCase()];
  if (hit) return hit;
  if (SEVERITY_DIGIT.test(x)) return severityLevel(Number(x));
  return undefined;
}

/** RFC 5424 severity: 0-2 emergency/alert/critical, 3 error, 4 warning, 5-6 notice/info, 7 debug. */
export function severityLevel(sev: number): Level {
  if (sev <= 2) return 'fatal';
  if (sev === 3) return 'error';
  if (sev === 4) return 'warn';
  if (sev === 7) return 'debug';
  return 'info';
}

export function statusLevel(status: number): Level {
  if (status >= 500) return 'error';
  if (status >= 400) return 'warn';
  return 'info';
}

// Whole words only: not inside a name such as a package `libgpg-error-dev`, a path or a file `error.log`.
const KEYWORDS =
  /(?<![\w\-./])(fatal|panic|emerg(?:ency)?|critical|crit|severe|error|err|exception|fail(?:ed|ure|s)?|warn(?:ing)?|debug|trace)(?![\w\-/]|\.\w)/i;

/** Level guessed from words in free text; `info` when nothing suggests otherwise. */
export function guessLevel(text: string): Level {
  const m = KEYWORDS.exec(text);
  if (!m) return 'info';
  const w = m[1].toLowerCase();
  if (w === 'fatal' || w === 'panic' || w.startsWith('emerg') || w.startsWith('crit')) return 'fatal';
  if (w === 'severe' || w === 'error' || w === 'err' || w === 'exception' || w.startsWith('fail'))
    return 'error';
  if (w.startsWith('warn')) return 'warn';
  if (w === 'debug') return 'debug';
  return 'trace';
}

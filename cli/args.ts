// Flag parsing for client commands (node:util parseArgs), turning its errors into UsageError (exit 2).
import { parseArgs } from 'node:util';
import { UsageError } from './command.js';

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** The flags every gateway-facing command takes. */
export const GATEWAY_FLAGS = {
  gateway: { type: 'string', short: 'g' },
  user: { type: 'string', short: 'u' },
  password: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
} as const satisfies FlagSpec;

export const GATEWAY_HELP = `Gateway options:
  -g, --gateway URL    gateway address (env OPENFAAS_URL, default http://127.0.0.1:8080)
  -u, --user NAME      basic-auth user (env OPENFAAS_USER, default admin)
  -p, --password PW    basic-auth password (env OPENFAAS_PASSWORD or LOGFAAS_ADMIN_PASSWORD;
                       else data/admin-password as written by \`logfaas up\`)`;

export function parseFlags<S extends FlagSpec>(
  argv: string[],
  spec: S,
): { flags: Partial<Record<keyof S, string | boolean>>; files: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: spec,
      allowPositionals: true,
      strict: true,
    });
    return { flags: values as Partial<Record<keyof S, string | boolean>>, files: positionals };
  } catch (e) {
    throw new UsageError(flagError(e as Error & { code?: string }, spec));
  }
}

/** parseArgs's error in our words: which option, what was wrong, and the nearest valid one. */
function flagError(e: Error & { code?: string }, spec: FlagSpec): string {
  const opt = /'(-[^' ,]*)/.exec(e.message)?.[1] ?? '';
  const long = /--[\w-]+/.exec(e.message)?.[0] ?? opt;
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const valid = Object.keys(spec).map((k) => `--${k}`);
    const near = closestFlag(opt.replace(/=.*/, ''), valid);
    return `unknown option ${opt}${near ? ` (did you mean ${near}?)` : ''}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return /argument missing/.test(e.message) ? `${long} needs a value` : `${long} takes no value`;
  return e.message.split('\n')[0];
}

/**
 * The valid flag nearest to `given` by edit distance, when near enough to be a typo (at most a third of
 * its length, at least 2) or when `given` is a prefix of exactly one; else undefined.
 */
export function closestFlag(given: string, valid: readonly string[]): string | undefined {
  const g = given.startsWith('--') ? given : `--${given.replace(/^-+/, '')}`;
  const prefixed = valid.filter((v) => v.startsWith(g));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestD = Infinity;
  for (const v of valid) {
    const d = editDistance(g, v);
    if (d < bestD) [best, bestD] = [v, d];
  }
  return bestD <= Math.max(2, Math.floor((g.length - 2) / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** A positive integer flag, or the default; anything else is a usage error. */
export function intFlag(v: string | boolean | undefined, name: string, def: number, min = 1): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer >= ${min}`);
  return n;
}

export function strFlag(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

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
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
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

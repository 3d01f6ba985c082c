// Secrets come from files under /var/openfaas/secrets/ (OpenFaaS convention) or, failing that, env.
// A Secret redacts itself when printed or serialised, so it can never reach a log line by accident.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret([redacted])';
  }
}

/** Reads secret `name` from `dir`, trimming a trailing newline; undefined when the file is absent. */
export function readSecretFile(dir: string, name: string): Secret | undefined {
  try {
    return new Secret(readFileSync(join(dir, name), 'utf8').replace(/\r?\n$/, ''));
  } catch {
    return undefined;
  }
}

export const DEFAULT_SECRETS_DIR = '/var/openfaas/secrets';

/** A URL with its password replaced, for log lines (`amqp://guest:***@host`). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}

export const ADMIN_PASSWORD_SECRET = 'basic-auth-password';

/**
 * The gateway admin password (OpenFaaS convention): the `basic-auth-password` secret file, else the
 * LOGFAAS_ADMIN_PASSWORD env var. `origin` says where it came from, for messages (never the value).
 */
export function readAdminPassword(
  secretsDir: string,
  env: Readonly<Record<string, string | undefined>>,
): { password: Secret; origin: string } | undefined {
  const fromFile = readSecretFile(secretsDir, ADMIN_PASSWORD_SECRET);
  if (fromFile) return { password: fromFile, origin: join(secretsDir, ADMIN_PASSWORD_SECRET) };
  if (env.LOGFAAS_ADMIN_PASSWORD) {
    return { password: new Secret(env.LOGFAAS_ADMIN_PASSWORD), origin: 'LOGFAAS_ADMIN_PASSWORD' };
  }
  return undefined;
}

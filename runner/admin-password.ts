// The gateway admin password for `logfaas up`: the OpenFaaS secret file, else LOGFAAS_ADMIN_PASSWORD,
// else one generated once and kept in the data folder (printed by path, never by value).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAdminPassword, Secret } from '../core/secrets.js';

export interface AdminPassword {
  password: Secret;
  /** Where it came from, for the start-up message. */
  origin: string;
}

export function resolveAdminPassword(
  env: Readonly<Record<string, string | undefined>>,
  secretsDir: string,
  dataDir: string,
): AdminPassword {
  const given = readAdminPassword(secretsDir, env);
  if (given) return given;
  const path = join(dataDir, 'admin-password');
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, randomBytes(18).toString('base64url'), { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return { password: new Secret(readFileSync(path, 'utf8').trim()), origin: path };
}

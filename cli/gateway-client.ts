// The CLI's way to the gateway: URL and credentials from flags and env, one preflight that tells an
// unreachable gateway (exit 3) from bad credentials (exit 4), and errors that fit on one line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from './command.js';

export interface Gateway {
  url: string;
  user: string;
  /** Where the password came from, for error messages (never the password itself). */
  passwordOrigin?: string;
  authorization?: string;
}

/** An error with the exit code it maps to; its message is one line, ready to print. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function resolveGateway(
  flags: { gateway?: string | boolean; user?: string | boolean; password?: string | boolean },
  env: Readonly<Record<string, string | undefined>>,
): Gateway {
  const raw =
    (typeof flags.gateway === 'string' ? flags.gateway : env.OPENFAAS_URL) || 'http://127.0.0.1:8080';
  let url: string;
  try {
    const u = new URL(/^https?:\/\//.test(raw) ? raw : `http://${raw}`);
    url = u.toString().replace(/\/+$/, '');
  } catch {
    throw new CliError(`invalid gateway URL ${JSON.stringify(raw)}`, EXIT.usage);
  }
  const user = (typeof flags.user === 'string' ? flags.user : env.OPENFAAS_USER) || 'admin';
  let password: string | undefined;
  let origin: string | undefined;
  if (typeof flags.password === 'string') [password, origin] = [flags.password, '--password'];
  else if (env.OPENFAAS_PASSWORD) [password, origin] = [env.OPENFAAS_PASSWORD, 'OPENFAAS_PASSWORD'];
  else if (env.LOGFAAS_ADMIN_PASSWORD)
    [password, origin] = [env.LOGFAAS_ADMIN_PASSWORD, 'LOGFAAS_ADMIN_PASSWORD'];
  else {
    const file = join(env.DATA_DIR || 'data', 'admin-password');
    try {
      [password, origin] = [readFileSync(file, 'utf8').trim(), file];
    } catch {
      // No local stack password: fine for a gateway without auth.
    }
  }
  const authorization =
    password === undefined ? undefined : `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return { url, user, passwordOrigin: origin, authorization };
}

/** fetch with auth, mapping a network failure to exit 3 and 401/403 to exit 4. */
export async function gatewayFetch(
  gw: Gateway,
  path: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (gw.authorization) headers.set('authorization', gw.authorization);
  let res: Response;
  try {
    res = await fetch(`${gw.url}${path}`, {
      ...init,
      headers,
      signal: init.signal ?? AbortSignal.timeout(init.timeoutMs ?? 120_000),
    });
  } catch (e) {
    throw unreachable(gw, e);
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    const how = gw.passwordOrigin
      ? `the password from ${gw.passwordOrigin} was refused`
      : 'no password given (--password, OPENFAAS_PASSWORD or LOGFAAS_ADMIN_PASSWORD)';
    throw new CliError(`authentication failed at ${gw.url} for user ${gw.user}: ${how}`, EXIT.auth);
  }
  return res;
}

function unreachable(gw: Gateway, e: unknown): CliError {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (e as Error).name ?? String(e);
  const reason = (e as Error).name === 'TimeoutError' ? 'timed out' : why;
  return new CliError(
    `cannot reach the gateway at ${gw.url} (${reason}): is logfaas running? (logfaas up, or --gateway URL)`,
    EXIT.unreachable,
  );
}

/**
 * Checks reachability and credentials before anything is sent: /system/functions requires auth
 * (function calls do not), so a wrong password is caught here rather than silently ignored.
 */
export async function preflight(gw: Gateway, fn?: string): Promise<void> {
  const res = await gatewayFetch(gw, '/system/functions', { timeoutMs: 10_000 });
  if (!res.ok)
    throw new CliError(`gateway at ${gw.url} answered ${res.status} to /system/functions`, EXIT.failure);
  const list = (await res.json().catch(() => null)) as { name?: string }[] | null;
  if (fn && Array.isArray(list) && !list.some((f) => f.name === fn)) {
    throw new CliError(`function ${fn} is not deployed on ${gw.url}`, EXIT.failure);
  }
}

/** One-line description of an error response: its JSON `error` field, else the start of the body. */
export async function describeFailure(
  res: Response,
): Promise<{ message: string; body: Record<string, unknown> | null }> {
  const text = await res.text().catch(() => '');
  let body: Record<string, unknown> | null = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  const detail = typeof body?.error === 'string' ? body.error : text.replace(/\s+/g, ' ').slice(0, 200);
  return { message: `${res.status}${detail ? ` (${detail})` : ''}`, body };
}

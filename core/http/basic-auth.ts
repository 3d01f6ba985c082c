// Basic auth (OpenFaaS: user `admin`, password from the `basic-auth-password` secret): the gateway's
// /system/* routes and the functions' own write endpoints (stats' mutes) check it the same way.
import { timingSafeEqual } from 'node:crypto';
import type { Secret } from '../secrets.js';

export interface Credentials {
  user: string;
  password: Secret;
}

/** Why a request's credentials were refused, or null when they match: each case has its own 401 text. */
export type AuthProblem = 'missing' | 'malformed' | 'wrong';

export function basicAuthProblem(header: string | null, creds: Credentials): AuthProblem | null {
  if (!header) return 'missing';
  if (!/^Basic\s+/i.test(header)) return 'malformed';
  const decoded = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return 'malformed';
  return safeEqual(decoded.slice(0, i), creds.user) &&
    safeEqual(decoded.slice(i + 1), creds.password.reveal())
    ? null
    : 'wrong';
}

/** The 401 text for each problem: a missing password is not a wrong one. */
export const AUTH_MESSAGES: Record<AuthProblem, string> = {
  missing: 'authentication required: no credentials given (HTTP Basic, user admin and the gateway password)',
  malformed: 'authentication required: the Authorization header is not HTTP Basic user:password',
  wrong: 'wrong user or password',
};

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function basicAuthHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

// Basic auth (OpenFaaS: user `admin`, password from the `basic-auth-password` secret): the gateway's
// /system/* routes and the functions' own write endpoints (stats' mutes) check it the same way.
import { timingSafeEqual } from 'node:crypto';
import type { Secret } from '../secrets.js';

export interface Credentials {
  user: string;
  password: Secret;
}

export function checkBasicAuth(header: string | null, creds: Credentials): boolean {
  if (!header?.startsWith('Basic ')) return false;
  let decoded: string;
  try {
    decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  } catch {
    return false;
  }
  const i = decoded.indexOf(':');
  if (i < 0) return false;
  return (
    safeEqual(decoded.slice(0, i), creds.user) && safeEqual(decoded.slice(i + 1), creds.password.reveal())
  );
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function basicAuthHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

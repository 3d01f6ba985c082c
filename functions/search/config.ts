// search settings: one pure function of the environment, validated once (table in docs/search.md).
import { type Env, EnvReader } from '../../core/env.js';
import type { Credentials } from '../../core/http/basic-auth.js';
import { type HttpConfig, readHttpConfig } from '../../core/http/config.js';
import { readSearchStoreConfig, type SearchStoreConfig } from '../../core/search/config.js';
import { readAdminPassword } from '../../core/secrets.js';
import { readStoreConfig, type StoreConfig } from '../../core/stores-config.js';

export interface SearchConfig {
  /** SEARCH_RETENTION and the other store bounds (the writer, detect-anomaly, reads the same keys). */
  searchStore: SearchStoreConfig;
  /** SEARCH_SCAN_BYTES: blob characters one request reads at most before it answers with a cursor. */
  maxScanBytes: number;
  /** detect-anomaly's WINDOW: the bucket a count incident's span is judged in (core/incident.ts covers). */
  bucketMs: number;
  http: HttpConfig;
  store: StoreConfig;
  /** The gateway's admin (BASIC_AUTH_USER, secret basic-auth-password or LOGFAAS_ADMIN_PASSWORD); absent = 503. */
  admin?: Credentials;
}

/** 16 M chars: one page of a scan stays under 200 ms p99 on this shared machine (docs/search.md, Measurement). */
export const DEFAULT_SCAN_BYTES = 16 * 1024 * 1024;

export function loadSearchConfig(env: Env): SearchConfig {
  const r = new EnvReader(env);
  const searchStore = readSearchStoreConfig(r, { embedded: !env.REDIS_URL });
  const maxScanBytes = r.int('SEARCH_SCAN_BYTES', DEFAULT_SCAN_BYTES, 1024);
  const bucketMs = r.duration('WINDOW', 10_000);
  // A search reads at most SEARCH_SCAN_BYTES: seconds at worst.
  const http = readHttpConfig(r, { timeoutMs: 10_000, maxBodyBytes: 64 * 1024 });
  const store = readStoreConfig(r, env);
  const adminUser = r.str('BASIC_AUTH_USER', 'admin');
  const adminPassword = readAdminPassword(store.secretsDir, env)?.password;
  r.done();
  return Object.freeze({
    searchStore,
    maxScanBytes,
    bucketMs,
    http,
    store,
    admin: adminPassword ? { user: adminUser, password: adminPassword } : undefined,
  });
}

// Gateway configuration from the environment (faasd-style: upstream URL per function).
import { ConfigError, type Env, EnvReader } from '../core/env.js';
import { type FunctionAddresses, readFunctionAddresses } from '../core/function-urls.js';
import { ADMIN_PASSWORD_SECRET, readAdminPassword, Secret } from '../core/secrets.js';
import { readStoreConfig, type StoreConfig } from '../core/stores-config.js';

export interface GatewayConfig {
  port: number;
  host: string;
  stackFile: string;
  /** Where each function's replicas listen (FUNCTION_URL_TEMPLATE, FUNCTION_URLS). */
  functions: FunctionAddresses;
  upstreamTimeoutMs: number;
  maxBodyBytes: number;
  maxInflight: number;
  adminUser: string;
  adminPassword: Secret;
  dashboardDir?: string;
  stores: StoreConfig;
}

export function loadGatewayConfig(env: Env): GatewayConfig {
  const r = new EnvReader(env);
  const stores = readStoreConfig(r, env);
  const functions = readFunctionAddresses(r);
  const password = readAdminPassword(stores.secretsDir, env)?.password;
  const cfg = {
    port: r.int('GATEWAY_PORT', r.int('PORT', 8080, 0, 65535), 0, 65535),
    host: r.str('GATEWAY_HOST', '0.0.0.0'),
    stackFile: r.str('STACK_FILE', 'stack.yml'),
    functions,
    upstreamTimeoutMs: r.duration('UPSTREAM_TIMEOUT', 60_000),
    maxBodyBytes: r.int('MAX_BODY_BYTES', 64 * 1024 * 1024, 1),
    // Far above any function's limit: the gateway should pass 429s through, not create them.
    maxInflight: r.int('MAX_INFLIGHT', 1024, 1),
    adminUser: r.str('BASIC_AUTH_USER', 'admin'),
    adminPassword: password ?? new Secret(''),
    dashboardDir: r.optStr('DASHBOARD_DIR'),
    stores,
  };
  r.done();
  // No default password ships: a gateway without one refuses to start (OpenFaaS does the same).
  if (!password) {
    throw new ConfigError([
      `no admin password: create the secret file ${stores.secretsDir}/${ADMIN_PASSWORD_SECRET} or set LOGFAAS_ADMIN_PASSWORD`,
    ]);
  }
  return Object.freeze(cfg);
}

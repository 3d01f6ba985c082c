// Dashboard server settings: one pure function of the environment (table in docs/dashboard.md).
import { type Env, EnvReader } from '../core/env.js';

export interface DashboardConfig {
  /** PORT, else DASHBOARD_PORT (the name `logfaas up` uses), else 5000. */
  port: number;
  /** The gateway that /function/stats is proxied to. */
  gatewayUrl: string;
  /** index.html, style.css, app.js (dist/dashboard after `node build.mjs`). */
  assetsDir: string;
}

export function loadDashboardConfig(env: Env): DashboardConfig {
  const r = new EnvReader(env);
  const port = r.int('PORT', r.int('DASHBOARD_PORT', 5000, 0, 65535), 0, 65535);
  const gatewayUrl = r.str('GATEWAY_URL', 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const assetsDir = r.str('DASHBOARD_DIR', 'dist/dashboard');
  r.done();
  return Object.freeze({ port, gatewayUrl, assetsDir });
}

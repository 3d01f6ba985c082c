// REST API server writing JSON lines (ts, level, service, method, path, status, latency_ms, msg, ...).
// Each endpoint has its own heavy-tailed latency; auth failures, rate limiting and 404s at base rates.
import { isoTime } from './clock.js';
import { ms1, type SystemModel } from './model.js';
import { cumulative, type Rng } from './rng.js';

interface Endpoint {
  method: string;
  route: string;
  weight: number;
  medianMs: number;
  sigma: number;
  okStatus: number;
}

const ENDPOINTS: Endpoint[] = [
  { method: 'GET', route: '/api/v1/products', weight: 20, medianMs: 35, sigma: 0.5, okStatus: 200 },
  { method: 'GET', route: '/api/v1/products/{id}', weight: 20, medianMs: 18, sigma: 0.45, okStatus: 200 },
  { method: 'GET', route: '/api/v1/users/{id}', weight: 12, medianMs: 22, sigma: 0.5, okStatus: 200 },
  { method: 'GET', route: '/api/v1/orders', weight: 10, medianMs: 60, sigma: 0.6, okStatus: 200 },
  { method: 'POST', route: '/api/v1/orders', weight: 6, medianMs: 140, sigma: 0.55, okStatus: 201 },
  { method: 'GET', route: '/api/v1/search', weight: 10, medianMs: 180, sigma: 0.7, okStatus: 200 },
  { method: 'POST', route: '/api/v1/auth/login', weight: 5, medianMs: 95, sigma: 0.4, okStatus: 200 },
  { method: 'PUT', route: '/api/v1/users/{id}/profile', weight: 3, medianMs: 70, sigma: 0.5, okStatus: 200 },
  { method: 'DELETE', route: '/api/v1/cart/{id}', weight: 4, medianMs: 30, sigma: 0.5, okStatus: 204 },
  { method: 'GET', route: '/api/v1/health', weight: 10, medianMs: 1.2, sigma: 0.3, okStatus: 200 },
];
const CUM = cumulative(ENDPOINTS.map((e) => e.weight));
const CLIENTS = [
  'okhttp/4.12.0',
  'Dart/3.2 (dart:io)',
  'python-requests/2.31.0',
  'axios/1.6.7',
  'Go-http-client/2.0',
];
const SCANNERS = [
  'sqlmap/1.7.2#stable (https://sqlmap.org)',
  'Mozilla/5.0 zgrab/0.x',
  'Nuclei - Open-source project (github.com/projectdiscovery/nuclei)',
  'ffuf/2.1.0',
];
const SCAN_PATHS = [
  '/api/v1/admin/users/export',
  '/api/internal/debug/vars',
  '/api/v1/../../etc/passwd',
  '/api/swagger.json',
  '/api/v2/graphql',
  '/api/v1/users?id=1%27%20OR%201=1--',
  '/api/v1/config/secrets',
  '/api/actuator/heapdump',
];
const ERRORS = [
  'upstream error: connection refused by orders-db:5432',
  'internal error: context deadline exceeded calling inventory-service',
  'upstream error: payments-service returned 503',
  'internal error: connection pool timeout after 5000 ms',
];
const NOVEL = [
  (r: Rng) => `circuit breaker opened for payments-service after ${r.range(5, 9)} consecutive failures`,
  (r: Rng) => `feature flag store unreachable, serving stale flags (age ${r.range(60, 900)}s)`,
  (r: Rng) => `JWT signing key rotation failed: kid k-2026-${r.range(10, 99)} not found in JWKS`,
];

export function createApiModel(rng: Rng): SystemModel {
  const path = (e: Endpoint) => e.route.replace('{id}', String(rng.range(1, 99_999)));
  const line = (
    ts: number,
    level: string,
    method: string,
    p: string,
    status: number,
    ms: number,
    msg: string,
    ua: string,
  ) =>
    `{"ts":"${isoTime(ts)}","level":"${level}","service":"api","method":"${method}","path":"${p}","status":${status},"latency_ms":${ms1(ms)},"msg":"${msg}","user":"u${rng.range(1, 5000)}","ua":"${ua}","req_id":"${(rng.next() * 0xffffffff) >>> 0}"}`;

  const model: SystemModel = {
    spikeTargets: ENDPOINTS.filter((e) => e.weight >= 10 && e.medianMs > 5).map(
      (e) => `${e.method} ${e.route}`,
    ),
    spiked: false,
    normal(ts, spikeTarget, spikeFactor) {
      model.spiked = false;
      const e = ENDPOINTS[rng.weighted(CUM)];
      const ua = rng.pick(CLIENTS);
      let ms = rng.latency(e.medianMs, e.sigma);
      if (spikeTarget !== null && spikeTarget === `${e.method} ${e.route}`) {
        ms *= spikeFactor * (0.8 + 0.4 * rng.next());
        model.spiked = true;
      }
      const x = rng.next();
      if (x < 0.01 && e.route !== '/api/v1/health') {
        return line(
          ts,
          'warn',
          e.method,
          path(e),
          401,
          rng.latency(3, 0.4),
          'authentication failed: invalid or expired token',
          ua,
        );
      }
      if (x < 0.013) {
        return line(
          ts,
          'warn',
          e.method,
          path(e),
          429,
          rng.latency(0.8, 0.3),
          'rate limit exceeded: 100 requests per minute',
          ua,
        );
      }
      if (x < 0.018 && e.route.includes('{id}')) {
        return line(ts, 'info', e.method, path(e), 404, ms, 'resource not found', ua);
      }
      if (x < 0.019) return line(ts, 'error', e.method, path(e), 500, ms, rng.pick(ERRORS), ua);
      return line(ts, 'info', e.method, path(e), e.okStatus, ms, 'request completed', ua);
    },
    error(ts) {
      const e = ENDPOINTS[rng.weighted(CUM)];
      const status = rng.pick([500, 502, 503, 503]);
      return line(
        ts,
        'error',
        e.method,
        path(e),
        status,
        rng.latency(e.medianMs * 2, 0.6),
        rng.pick(ERRORS),
        rng.pick(CLIENTS),
      );
    },
    scan(ts) {
      const status = rng.chance(0.8) ? 404 : rng.pick([401, 400, 403]);
      const method = rng.chance(0.7) ? 'GET' : rng.pick(['POST', 'OPTIONS', 'PUT']);
      return line(
        ts,
        'warn',
        method,
        rng.pick(SCAN_PATHS),
        status,
        rng.latency(1.5, 0.4),
        'route not found',
        rng.pick(SCANNERS),
      );
    },
    novel(ts) {
      const e = ENDPOINTS[rng.weighted(CUM)];
      return line(
        ts,
        'warn',
        e.method,
        path(e),
        e.okStatus,
        rng.latency(e.medianMs, e.sigma),
        rng.pick(NOVEL)(rng),
        rng.pick(CLIENTS),
      );
    },
  };
  return model;
}

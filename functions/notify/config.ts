// notify configuration: one pure function of the environment, validated once (table in docs/notify.md).
import { type Env, EnvReader } from '../../core/env.js';
import { type HttpConfig, readHttpConfig } from '../../core/http/config.js';
import { DEFAULT_INCIDENT_QUIET_MS } from '../../core/incident.js';
import { readSecretFile, type Secret } from '../../core/secrets.js';
import { readStoreConfig, type StoreConfig } from '../../core/stores-config.js';

/** Secret file (under SECRETS_DIR) that keys the webhook signature. */
export const WEBHOOK_SECRET_FILE = 'alert-webhook-secret';

export interface RateLimit {
  /** Opened and updated notifications per source per window; closed ones are never held back. */
  perSource: number;
  windowMs: number;
}

export interface NotifyConfig {
  /** Alertmanager base URL (alerts go to `${url}/api/v2/alerts`); absent: no alerts. */
  alertmanagerUrl?: string;
  webhookUrls: string[];
  webhookSecret?: Secret;
  /** Base of the dashboard link in every alert and webhook. */
  dashboardUrl: string;
  /** Alertmanager re-send period for open incidents, and how often silent sources are checked. */
  resendIntervalMs: number;
  /** One request to one target: a slow receiver delays nothing else for longer. */
  sendTimeoutMs: number;
  rate: RateLimit;
  /** An open incident counts as updated once its line count grew by this factor since the last notice. */
  updateFactor: number;
  /** An open incident not updated for this long is closed (detect-anomaly's INCIDENT_QUIET). */
  quietMs: number;
  http: HttpConfig;
  store: StoreConfig;
}

const isHttpUrl = (u: string) => {
  try {
    return /^https?:$/.test(new URL(u).protocol);
  } catch {
    return false;
  }
};

export function loadNotifyConfig(env: Env): NotifyConfig {
  const r = new EnvReader(env);
  const store = readStoreConfig(r, env);
  const alertmanagerUrl = r.optStr('ALERTMANAGER_URL')?.replace(/\/+$/, '');
  if (alertmanagerUrl && !isHttpUrl(alertmanagerUrl))
    r.problem(`ALERTMANAGER_URL=${JSON.stringify(alertmanagerUrl)} must be an http(s) URL`);
  const webhookUrls = (r.optStr('ALERT_WEBHOOK_URLS') ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const u of webhookUrls)
    if (!isHttpUrl(u)) r.problem(`ALERT_WEBHOOK_URLS: ${JSON.stringify(u)} is not an http(s) URL`);
  const webhookSecret = readSecretFile(store.secretsDir, WEBHOOK_SECRET_FILE);
  // Unsigned posts would let anyone who can reach a receiver forge alerts: no secret, no webhooks.
  if (webhookUrls.length && !webhookSecret)
    r.problem(`ALERT_WEBHOOK_URLS needs the secret file ${WEBHOOK_SECRET_FILE} in ${store.secretsDir}`);
  const cfg: NotifyConfig = {
    ...(alertmanagerUrl ? { alertmanagerUrl } : {}),
    webhookUrls,
    ...(webhookSecret ? { webhookSecret } : {}),
    dashboardUrl: r.str('DASHBOARD_URL', 'http://127.0.0.1:5000').replace(/\/+$/, ''),
    // 60 s: within the 30 s - 3 min Alertmanager asks of clients, well inside its 5 min resolve_timeout.
    resendIntervalMs: r.duration('RESEND_INTERVAL', 60_000),
    sendTimeoutMs: r.duration('SEND_TIMEOUT', 5_000),
    rate: {
      // 10 per 10 min: a flapping source pages at most about once a minute; later changes wait, not vanish.
      perSource: r.int('NOTIFY_RATE_LIMIT', 10, 1),
      windowMs: r.duration('NOTIFY_RATE_WINDOW', 600_000),
    },
    updateFactor: r.num('NOTIFY_UPDATE_FACTOR', 2, 1.01),
    quietMs: r.duration('INCIDENT_QUIET', DEFAULT_INCIDENT_QUIET_MS),
    // Messages are a few hundred bytes of ids; sending waits on receivers, so allow a few timeouts.
    http: readHttpConfig(r, { maxBodyBytes: 256 * 1024, timeoutMs: 60_000, maxInflight: 16 }),
    store,
  };
  if (cfg.resendIntervalMs < 1000) r.problem('RESEND_INTERVAL must be at least 1s');
  if (cfg.rate.windowMs < 1000) r.problem('NOTIFY_RATE_WINDOW must be at least 1s');
  r.done();
  return Object.freeze(cfg);
}

/** Whether any target is configured (without one, notify reads and sends nothing). */
export const hasTargets = (c: Pick<NotifyConfig, 'alertmanagerUrl' | 'webhookUrls'>) =>
  !!c.alertmanagerUrl || c.webhookUrls.length > 0;

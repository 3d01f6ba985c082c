// notify: POST a logs.incidents message ({"incidents":[{source,id,state}]}) and the incidents of those
// sources are announced to Alertmanager and the webhooks, once per state change. `resend()` is the
// periodic pass (main.ts runs it): re-sends open alerts, as Alertmanager expects of a client, and closes
// the incidents of sources that went silent. 5xx/429 answers make the connector retry; 4xx dead-letter.
import { BadRequestError, jsonResponse, MethodNotAllowedError, toErrorResponse } from '../../core/errors.js';
import { parseIncidentChanges } from '../../core/incident-change.js';
import { acquireLock } from '../../core/kv/lock.js';
import type { KV } from '../../core/kv/types.js';
import type { Logger } from '../../core/log.js';
import { toAlert } from './alert.js';
import { hasTargets, type NotifyConfig } from './config.js';
import { type Outcome, plan, settle } from './plan.js';
import { ALERTMANAGER_TARGET, createPoster, originOf, type Poster, webhookTarget } from './send.js';
import {
  activeSources,
  currentIncidents,
  NOTIFY_KEYS,
  rateWindow,
  readSource,
  recordWrites,
} from './store.js';
import { EVENT_HEADER, SIGNATURE_HEADER, sign, TIMESTAMP_HEADER, webhookBody } from './webhook.js';

export interface NotifyDeps {
  kv: KV;
  config: NotifyConfig;
  logger: Logger;
  now?: () => number;
  /** The receivers' HTTP client (default: node:http with SEND_TIMEOUT). */
  post?: Poster;
}

export interface Failure {
  target: string;
  incident: string;
  detail: string;
  outcome: Outcome;
  status?: number;
}

export interface SourceResult {
  /** Another replica held the source's lock for longer than we waited. */
  busy?: boolean;
  sent: number;
  held: number;
  failures: Failure[];
}

export type NotifyHandler = ((req: Request) => Promise<Response>) & {
  /** One periodic pass over every source with incidents (one replica per interval does it). */
  resend(): Promise<{ sources: number; sent: number; failures: number } | undefined>;
  close(): void;
};

/** How long a reconcile may hold a source: a message's sends, at SEND_TIMEOUT each, fit well inside. */
const LOCK_TTL_MS = 60_000;
/** How long a message waits for another replica's reconcile of the same source before asking for a retry. */
const LOCK_WAIT_MS = 10_000;

export function createNotifyHandler(deps: NotifyDeps): NotifyHandler {
  const { kv, config: cfg, logger } = deps;
  const clock = deps.now ?? Date.now;
  const own = deps.post ? undefined : createPoster({ timeoutMs: cfg.sendTimeoutMs });
  const post: Poster = deps.post ?? own!;
  const webhooks = cfg.webhookUrls.map((url) => ({ url, target: webhookTarget(url) }));
  const targets = [...(cfg.alertmanagerUrl ? [ALERTMANAGER_TARGET] : []), ...webhooks.map((w) => w.target)];

  async function reconcile(source: string, o: { resend: boolean; waitMs: number }): Promise<SourceResult> {
    const lock = await acquireLock(kv, NOTIFY_KEYS.lock(source), { ttlMs: LOCK_TTL_MS, waitMs: o.waitMs });
    if (!lock) return { busy: true, sent: 0, held: 0, failures: [] };
    try {
      const now = clock();
      const st = await readSource(kv, source, { now, quietMs: cfg.quietMs, windowMs: cfg.rate.windowMs });
      const current = await currentIncidents(kv, st);
      const p = plan({
        current,
        records: st.records,
        targets,
        used: st.used,
        limit: cfg.rate.perSource,
        updateFactor: cfg.updateFactor,
        now,
      });
      const outcomes = new Map<string, Map<string, Outcome>>();
      const failures: Failure[] = [];
      const note = (id: string, target: string, name: string, r: Awaited<ReturnType<Poster>>) => {
        let m = outcomes.get(id);
        if (!m) outcomes.set(id, (m = new Map()));
        m.set(target, r.outcome);
        if (r.outcome !== 'ok')
          failures.push({
            target: name,
            incident: id,
            detail: r.detail,
            outcome: r.outcome,
            status: r.status,
          });
      };
      let sent = 0;
      if (cfg.alertmanagerUrl) {
        const owed = p.sends.filter((s) => s.targets.includes(ALERTMANAGER_TARGET));
        const owedIds = new Set(owed.map((s) => s.incident.id));
        // Every announced open incident again: Alertmanager resolves an alert it stops hearing about.
        const again = o.resend
          ? current.filter((i) => !owedIds.has(i.id) && p.records.get(i.id)?.state === 'open')
          : [];
        const alerts = [...owed.map((s) => s.incident), ...again].map((i) =>
          toAlert(i, { dashboardUrl: cfg.dashboardUrl, now }),
        );
        if (alerts.length) {
          const r = await post(`${cfg.alertmanagerUrl}/api/v2/alerts`, JSON.stringify(alerts), {});
          for (const s of owed) note(s.incident.id, ALERTMANAGER_TARGET, 'alertmanager', r);
          if (!owed.length && r.outcome !== 'ok')
            failures.push({ target: 'alertmanager', incident: '', detail: r.detail, outcome: r.outcome });
          sent += r.outcome === 'ok' ? owed.length : 0;
        }
      }
      for (const w of webhooks) {
        for (const s of p.sends) {
          if (!s.targets.includes(w.target)) continue;
          const body = JSON.stringify(
            webhookBody(s.incident, s.transition, { dashboardUrl: cfg.dashboardUrl }),
          );
          const ts = Math.floor(now / 1000);
          const r = await post(w.url, body, {
            [SIGNATURE_HEADER]: sign(cfg.webhookSecret!.reveal(), ts, body),
            [TIMESTAMP_HEADER]: String(ts),
            [EVENT_HEADER]: `incident.${s.transition}`,
          });
          note(s.incident.id, w.target, originOf(w.url), r);
          if (r.outcome === 'ok') sent++;
          // A receiver that is down gets nothing more this round: its notices stay owed, in order.
          if (r.outcome === 'retry') break;
        }
      }
      const records = settle(p.records, outcomes);
      if (p.charged || JSON.stringify([...records]) !== JSON.stringify([...st.records])) {
        await kv.apply(
          recordWrites(source, records, {
            window: rateWindow(now, cfg.rate.windowMs),
            by: p.charged,
            windowMs: cfg.rate.windowMs,
          }),
        );
      }
      if (p.held) logger.warn('notifications held by the rate limit', { source, held: p.held });
      for (const f of failures) logger.warn('notification failed', { source, ...f });
      return { sent, held: p.held, failures };
    } finally {
      await lock.release();
    }
  }

  const handler = async (req: Request): Promise<Response> => {
    try {
      if (req.method !== 'POST') throw new MethodNotAllowedError('POST a logs.incidents message');
      let changes: ReturnType<typeof parseIncidentChanges>;
      try {
        changes = parseIncidentChanges(await req.text());
      } catch (e) {
        throw new BadRequestError((e as Error).message);
      }
      if (!hasTargets(cfg))
        return jsonResponse({ sent: 0, held: 0, note: 'no ALERTMANAGER_URL or ALERT_WEBHOOK_URLS set' });
      let sent = 0;
      let held = 0;
      const failures: Failure[] = [];
      for (const source of new Set(changes.map((c) => c.source))) {
        const r = await reconcile(source, { resend: false, waitMs: LOCK_WAIT_MS });
        if (r.busy)
          return jsonResponse({ error: 'busy', message: `source ${source} is being notified` }, 503);
        sent += r.sent;
        held += r.held;
        failures.push(...r.failures);
      }
      const retry = failures.filter((f) => f.outcome === 'retry');
      if (retry.length) {
        // A receiver's 429 is passed on so the connector backs off; anything else retryable is a 502.
        const status = retry.every((f) => f.status === 429) ? 429 : 502;
        return jsonResponse({ error: 'receiver_unavailable', sent, held, failures: retry }, status);
      }
      if (failures.length) return jsonResponse({ error: 'receiver_rejected', sent, held, failures }, 422);
      return jsonResponse({ sent, held });
    } catch (e) {
      if (!(e instanceof BadRequestError || e instanceof MethodNotAllowedError))
        logger.error('notify failed', { err: e instanceof Error ? e.stack : String(e) });
      return toErrorResponse(e);
    }
  };

  return Object.assign(handler, {
    async resend() {
      if (!hasTargets(cfg)) return undefined;
      // One replica per interval: the first to claim this interval's slot (by its clock) makes the pass.
      const slot = Math.floor(clock() / cfg.resendIntervalMs);
      if (!(await kv.setIfAbsent(NOTIFY_KEYS.resend(slot), '1', 2 * cfg.resendIntervalMs))) return undefined;
      const sources = await activeSources(kv);
      let sent = 0;
      let failed = 0;
      for (const s of sources) {
        const r = await reconcile(s, { resend: true, waitMs: 0 });
        sent += r.sent;
        failed += r.failures.length;
      }
      return { sources: sources.length, sent, failures: failed };
    },
    close() {
      own?.close();
    },
  });
}

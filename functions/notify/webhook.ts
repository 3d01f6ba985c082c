// Generic webhook payload (pure): the incident with its example lines, a Slack-compatible `text`, and an
// HMAC-SHA256 signature over timestamp and body so a receiver can check who sent it and when.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Incident } from '../../core/incident.js';
import type { IncidentState } from '../../core/incident-change.js';
import { ALERT_EXAMPLE_CHARS, ALERT_EXAMPLES, cut, incidentLink, summaryOf } from './alert.js';

export const SIGNATURE_HEADER = 'x-logfaas-signature';
export const TIMESTAMP_HEADER = 'x-logfaas-timestamp';
export const EVENT_HEADER = 'x-logfaas-event';

export interface WebhookBody {
  version: 1;
  state: IncidentState;
  incident: Incident;
  dashboard: string;
  text: string;
}

/** Slack's mrkdwn needs only &, < and > escaped; log text must never become a link or a mention. */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function webhookBody(inc: Incident, state: IncidentState, o: { dashboardUrl: string }): WebhookBody {
  const link = incidentLink(o.dashboardUrl, inc.id);
  const examples = inc.examples.slice(0, ALERT_EXAMPLES).map((l) => cut(l, ALERT_EXAMPLE_CHARS));
  const head = `[LogAnomaly ${state}] ${inc.source} · ${inc.kind} · ${inc.count} line${inc.count === 1 ? '' : 's'}`;
  const text = [
    `*${slackEscape(head)}*`,
    slackEscape(summaryOf(inc)),
    ...inc.reasons.slice(0, 3).map((r) => `• ${slackEscape(r)}`),
    ...examples.slice(0, 3).map((l) => `> ${slackEscape(l)}`),
    `<${link}|open in the dashboard>`,
  ].join('\n');
  return { version: 1, state, incident: { ...inc, examples }, dashboard: link, text };
}

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`); timestamp in unix seconds. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute and compare in constant time. */
export function verify(secret: string, timestamp: number, body: string, signature: string): boolean {
  const want = Buffer.from(sign(secret, timestamp, body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

// Lenient NDJSON input: every JSON object that carries something to score becomes a LogEvent with
// what is present (missing fields defaulted, bad numbers dropped); everything else is a counted rejection.
import { EVENT_SCHEMA_VERSION, isLevel, type LogEvent } from '../../core/event.js';

export interface ParsedBody {
  events: LogEvent[];
  rejected: number;
  /** First few reasons, for the 400 body when nothing was usable. */
  reasons: string[];
}

export function parseBody(text: string, now: number): ParsedBody {
  const events: LogEvent[] = [];
  const reasons: string[] = [];
  let rejected = 0;
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      v = undefined;
    }
    const e = toEvent(v, now);
    if (e) events.push(e);
    else {
      rejected++;
      if (reasons.length < 5)
        reasons.push(`line ${lineNo}: ${v === undefined ? 'not JSON' : 'not a log event object'}`);
    }
  }
  return { events, rejected, reasons };
}

/** A usable event is an object with a message, raw line, template or HTTP fields. */
export function toEvent(v: unknown, now: number): LogEvent | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
  const message = str(o.message) ?? str(o.raw) ?? '';
  const hasHttp = typeof o.http === 'object' && o.http !== null && !Array.isArray(o.http);
  if (!message && !str(o.template) && !str(o.templateId) && !hasHttp) return undefined;
  const ts = str(o.timestamp);
  const template = str(o.template) ?? message;
  const e: LogEvent = {
    ...(o as Partial<LogEvent>),
    v: EVENT_SCHEMA_VERSION,
    timestamp: ts && !Number.isNaN(Date.parse(ts)) ? ts : new Date(now).toISOString(),
    source: str(o.source) || 'unknown',
    level: isLevel(o.level) ? o.level : 'info',
    message,
    format: str(o.format) ?? 'unknown',
    templateId: str(o.templateId) ?? template.slice(0, 200),
    template,
    params: Array.isArray(o.params) ? o.params.filter((p): p is string => typeof p === 'string') : [],
    raw: str(o.raw) ?? message,
  };
  if (hasHttp) {
    const h = o.http as Record<string, unknown>;
    const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined);
    e.http = {
      method: str(h.method),
      path: str(h.path),
      status: num(h.status),
      latency_ms: num(h.latency_ms),
      bytes: num(h.bytes),
      user_agent: str(h.user_agent),
      client_ip: str(h.client_ip),
    };
  } else delete e.http;
  return e;
}

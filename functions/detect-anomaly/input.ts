// Lenient NDJSON input: every JSON object that carries something to score becomes a LogEvent with
// what is present (missing fields defaulted, bad numbers dropped); everything else is a counted rejection.
import { EVENT_SCHEMA_VERSION, isLevel, type LogEvent, usableHttpNumber } from '../../core/event.js';
import { decodeEventBatchBinLean, skimEventBatchBin } from '../../core/event-batch-bin-read.js';
import { type DecodedBatch, decodeEventBatch } from '../../core/event-batch-read.js';
import { parseEventTime } from '../../core/event-time.js';
import type { RawBytes } from '../../core/search/store.js';

/** The source of an event that names none. */
const UNKNOWN_SOURCE = 'unknown';

export interface ParsedBody {
  events: LogEvent[];
  /** Each event's timestamp as epoch ms (parsed once here, reused for windows). */
  times: number[];
  rejected: number;
  /** First few reasons, for the 400 body when nothing was usable. */
  reasons: string[];
  /** Event i whole, as a new event, where the body was decoded lean (a binary batch): what an anomaly
   * carries out. */
  complete?: (i: number) => LogEvent;
  /** Event i's raw line as bytes in the body, where it can be copied as it is (core/search/store.ts). */
  rawBytes?: RawBytes;
}

export function parseBody(text: string, now: number): ParsedBody {
  const events: LogEvent[] = [];
  const times: number[] = [];
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
    const e = toEvent(v, now, times);
    if (e) events.push(e);
    else {
      rejected++;
      if (reasons.length < 5)
        reasons.push(`line ${lineNo}: ${v === undefined ? 'not JSON' : 'not a log event object'}`);
    }
  }
  return { events, times, rejected, reasons };
}

/**
 * A batch parse-log sends the pipeline: binary (`bin`, core/event-batch-bin.ts) or compact JSON
 * (core/event-batch.ts). Its rows are completed by
 * completeDecoded, which is toEvent for what decodeEventBatch returns (pinned in input.test.ts), so both
 * forms are scored alike. Throws EventBatchError if it is not one. `reuse`: events to overwrite
 * (decodeEventBatchBinLean), for a binary batch.
 */
export function parseEventBatch(
  body: string | Uint8Array,
  now: number,
  bin = false,
  reuse?: LogEvent[],
): ParsedBody {
  if (bin && typeof body !== 'string') {
    const d = decodeEventBatchBinLean(body, reuse);
    const { out, kept } = keep(d, now);
    if (!kept) return { ...out, complete: (i) => d.complete(i), rawBytes: { body, at: d.rawAt } };
    // The decoder's index of each kept event, for complete() and the raw lines' bytes.
    return {
      ...out,
      complete: (i) => d.complete(kept[i]),
      rawBytes: { body, at: kept.map((k) => d.rawAt[k]) },
    };
  }
  return keep(decodeEventBatch(body), now).out;
}

/**
 * The decoded events completeDecoded keeps, and each one's time. Where it keeps them all (nearly every
 * batch) they are the decoder's own arrays, completed in place, with no `kept`; otherwise new arrays,
 * and `kept` maps each to its index in the decoder's.
 */
function keep(d: DecodedBatch, now: number): { out: ParsedBody; kept?: number[] } {
  const { events, times } = d;
  let dropped: number[] | undefined;
  for (let i = 0; i < events.length; i++) {
    const t = completeDecoded(events[i], now, times[i]);
    if (Number.isNaN(t)) (dropped ??= []).push(i);
    else times[i] = t;
  }
  if (!dropped) return { out: { events, times, rejected: d.rejected, reasons: d.reasons } };
  const out: ParsedBody = {
    events: [],
    times: [],
    rejected: d.rejected + dropped.length,
    reasons: d.reasons,
  };
  const kept: number[] = [];
  for (let i = 0, k = 0; i < events.length; i++) {
    if (dropped[k] === i) {
      k++;
      continue;
    }
    out.events.push(events[i]);
    out.times.push(times[i]);
    kept.push(i);
  }
  return { out, kept };
}

/**
 * A binary batch's rows, each one's source and time, before its events are made (skimEventBatchBin):
 * sources as completeDecoded leaves them, times NaN where the event will take the receive time. Throws
 * EventBatchError where the body ends early.
 */
export function skimEventBatch(body: Uint8Array): { sources: string[]; times: number[] } {
  const rows = skimEventBatchBin(body);
  // In place: the skim's array is this batch's alone.
  const sources = rows.sources;
  for (let i = 0; i < sources.length; i++) if (!sources[i]) sources[i] = UNKNOWN_SOURCE;
  return { sources: sources as string[], times: rows.times };
}

/**
 * toEvent's effect on an event decodeEventBatch made, in place; the event's time (epoch ms, the receive
 * time `now` where it has none), or NaN where toEvent rejects it. The decoder
 * already guarantees what toEvent checks (string message, format, template id and text, raw; a valid
 * level; string params; an http object of usable numbers and strings or none), so only the timestamp and
 * an empty source can change, and only an event with nothing to score is rejected. Skipping the rest (and
 * toEvent's second http object) saved ~0.1-0.2 us per event.
 */
export function completeDecoded(e: LogEvent, now: number, known = Number.NaN): number {
  if (!e.message && !e.template && !e.templateId && e.http === undefined) return Number.NaN;
  // `known`: the decoder's epoch ms for a timestamp it formatted (DecodedBatch.times), not parsed again.
  const t = Number.isNaN(known) ? parseEventTime(e.timestamp) : known;
  if (Number.isNaN(t)) e.timestamp = new Date(now).toISOString();
  if (!e.source) e.source = UNKNOWN_SOURCE;
  return Number.isNaN(t) ? now : t;
}

const isStr = (x: unknown): x is string => typeof x === 'string';
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);

/**
 * A usable event is an object with a message, raw line, template or HTTP fields. The parsed object is
 * completed in place (it was just made by JSON.parse and nobody else holds it): copying every event
 * was a measured ~10% of the handler's time.
 */
export function toEvent(v: unknown, now: number, times?: number[]): LogEvent | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const message = str(o.message) ?? str(o.raw) ?? '';
  const hasHttp = typeof o.http === 'object' && o.http !== null && !Array.isArray(o.http);
  if (!message && !str(o.template) && !str(o.templateId) && !hasHttp) return undefined;
  const ts = str(o.timestamp);
  const t = ts === undefined ? Number.NaN : parseEventTime(ts);
  const template = str(o.template) ?? message;
  const e = o as unknown as LogEvent;
  e.v = EVENT_SCHEMA_VERSION;
  if (Number.isNaN(t)) e.timestamp = new Date(now).toISOString();
  // The parsed time, for windows (saves a second Date.parse per event).
  times?.push(Number.isNaN(t) ? now : t);
  e.source = str(o.source) || UNKNOWN_SOURCE;
  if (!isLevel(o.level)) e.level = 'info';
  e.message = message;
  e.format = str(o.format) ?? 'unknown';
  e.templateId = str(o.templateId) ?? template.slice(0, 200);
  e.template = template;
  const params = o.params;
  e.params = Array.isArray(params) ? (params.every(isStr) ? params : params.filter(isStr)) : [];
  e.raw = str(o.raw) ?? message;
  if (hasHttp) {
    const h = o.http as Record<string, unknown>;
    e.http = {
      method: str(h.method),
      path: str(h.path),
      status: usableHttpNumber(h.status),
      latency_ms: usableHttpNumber(h.latency_ms),
      bytes: usableHttpNumber(h.bytes),
      user_agent: str(h.user_agent),
      client_ip: str(h.client_ip),
    };
  } else if (o.http !== undefined) delete e.http;
  // (An `http: undefined` the compact batch's decoder wrote stays: deleting a property the object already
  // has turns it into a slow dictionary-mode object, which every later field read pays for.)
  return e;
}

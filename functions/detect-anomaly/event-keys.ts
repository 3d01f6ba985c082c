// What one event contributes to its source's counters and is compared on (pure), computed once per event.
import { endpointOf } from '../../core/endpoint.js';
import type { Level, LogEvent } from '../../core/event.js';
import { parseEventTime } from '../../core/event-time.js';

const SEVERITY: Record<Level, number> = { trace: 0, debug: 0, info: 1, warn: 2, error: 3, fatal: 4 };

/** What one event contributes and is compared on; computed once per event. */
export interface EventKeys {
  tpl: string;
  endpoint?: string;
  /** Norm key for latency: the endpoint when there is one, else the template. */
  latKey: string;
  latency?: number;
  status?: number;
  severity: number;
  isError: boolean;
  bucket: number;
  /** Event time (epoch ms), or the receive time when the event had none. */
  ts: number;
  /** Events per window of the source at this event's time (rateSoFar); set by the caller. */
  rate: number;
  /** How many events that rate was measured on. */
  rateCount: number;
  /** Errors its template (5xx its endpoint) showed before this event; set by the caller (markPriorErrors). */
  priorErrors?: number;
  priorEndpointErrors?: number;
  /** In its endpoint's latency tail, and the tail requests the endpoint had before (markLatencyTails). */
  latTail?: boolean;
  priorTails?: number;
  /** Lines of its template (requests of its endpoint, lines of its source) before this event. */
  priorLines?: number;
  priorEndpointLines?: number;
  priorSourceErrors?: number;
  priorSourceLines?: number;
  /** Set when this batch's latencies for latKey sit significantly above its baseline (a sustained shift). */
  latShift?: { ratio: number; n: number };
  msgLen: number;
  paramMax: number;
  paramLongest?: string;
}

/** An event's time (epoch ms) as scored: `parsedTs` or its timestamp read, the receive time `now` without one. */
export function eventTime(e: LogEvent, now: number, parsedTs?: number): number {
  return scoredTime(parsedTs ?? parseEventTime(e.timestamp), now);
}

/** A time as read (NaN: none), as scored: the receive time `now` where there is none. */
export function scoredTime(ts: number, now: number): number {
  return Number.isFinite(ts) ? ts : now;
}

/**
 * `parsedTs`: the event's timestamp already parsed (parseBody does it once), to skip a second Date.parse.
 * `endpoints`: an endpointMemo() for the batch. `into`: keys to overwrite, every field, instead of new ones
 * (keys-pool.ts).
 */
export function keysOf(
  e: LogEvent,
  windowMs: number,
  now: number,
  parsedTs?: number,
  endpoints: typeof endpointOf = endpointOf,
  into?: EventKeys,
): EventKeys {
  const h = e.http;
  const endpoint = h ? endpoints(h.method, h.path) : undefined;
  const tpl = e.templateId || e.template;
  let paramMax = 0;
  let paramLongest: string | undefined;
  for (const p of e.params) {
    if (p.length > paramMax) {
      paramMax = p.length;
      paramLongest = p;
    }
  }
  const status = h?.status;
  const ts = eventTime(e, now, parsedTs);
  const k = into ?? blankKeys();
  k.tpl = tpl;
  k.endpoint = endpoint;
  k.latKey = endpoint ?? tpl;
  k.latency = h?.latency_ms;
  k.status = status;
  k.severity = SEVERITY[e.level] ?? 1;
  k.isError = e.level === 'error' || e.level === 'fatal' || (status !== undefined && status >= 500);
  k.bucket = Math.floor(ts / windowMs);
  k.ts = ts;
  k.rate = 0;
  k.rateCount = 0;
  k.priorErrors = undefined;
  k.priorEndpointErrors = undefined;
  k.latTail = undefined;
  k.priorTails = undefined;
  k.priorLines = undefined;
  k.priorEndpointLines = undefined;
  k.priorSourceErrors = undefined;
  k.priorSourceLines = undefined;
  k.latShift = undefined;
  k.msgLen = e.message.length;
  k.paramMax = paramMax;
  k.paramLongest = paramLongest;
  return k;
}

/**
 * Keys of every field, for keysOf to fill. The fields set later by markPriorErrors, markLatencyTails and
 * markLatencyShifts are declared here too, so the object keeps one shape (adding them later grew every
 * event's keys by a copy of its properties).
 */
function blankKeys(): EventKeys {
  return {
    tpl: '',
    endpoint: undefined,
    latKey: '',
    latency: undefined,
    status: undefined,
    severity: 0,
    isError: false,
    bucket: 0,
    ts: Number.NaN,
    rate: 0,
    rateCount: 0,
    priorErrors: undefined,
    priorEndpointErrors: undefined,
    latTail: undefined,
    priorTails: undefined,
    priorLines: undefined,
    priorEndpointLines: undefined,
    priorSourceErrors: undefined,
    priorSourceLines: undefined,
    latShift: undefined,
    msgLen: 0,
    paramMax: 0,
    paramLongest: undefined,
  };
}

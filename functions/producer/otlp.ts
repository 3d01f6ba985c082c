// OTLP/HTTP logs (`POST /v1/logs`): protobuf or JSON, optionally gzip. Records map to lines with
// meta (resource service.name -> source, severity -> level, time -> timestamp, attributes -> fields);
// answers follow the OTLP/HTTP spec: the response encoded like the request, partial success for
// refused records, 400 for a bad request, 503 with Retry-After when the broker did not confirm.
import {
  BadRequestError,
  HttpError,
  MethodNotAllowedError,
  UnsupportedMediaTypeError,
} from '../../core/errors.js';
import type { LineMeta, MetaValue } from '../../core/line-meta.js';
import { decodeContentEncoding } from './body.js';
import type { AttributeLimits } from './config.js';
import type { ProducerContext } from './handler.js';
import { type AnyValue, decodeOtlpJson, decodeOtlpProto, type OtlpResourceLogs } from './otlp-decode.js';
import { ProtoError, ProtoWriter } from './protobuf.js';
import {
  attributeProblem,
  contentKey,
  type InRecord,
  publishRecords,
  refuse,
  sourceName,
} from './protocol-records.js';

export const OTLP_LOGS_PATH = '/v1/logs';
const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

export interface MappedRecords {
  records: InRecord[];
  rejected: number;
  /** Distinct reasons for refused records (at most a few, for the answer's message). */
  reasons: string[];
}

/** OTLP SeverityNumber ranges (logs data model): 1-4 TRACE ... 21-24 FATAL. */
export function severityLevel(n: number): string | undefined {
  if (n < 1 || n > 24) return undefined;
  return (['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const)[Math.floor((n - 1) / 4)];
}

/** A field value from an AnyValue: scalars as they are, bytes as base64, arrays and maps as JSON text. */
export function fieldValue(v: AnyValue | undefined): MetaValue {
  if (v === undefined) return null;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? Buffer.from(x).toString('base64') : x));
}

export function otlpRecords(resources: OtlpResourceLogs[], limits: AttributeLimits): MappedRecords {
  const out: MappedRecords = { records: [], rejected: 0, reasons: [] };
  for (const res of resources) {
    refuse(out, res.rejected, ...res.reasons);
    const base: Record<string, MetaValue> = {};
    let service: string | undefined;
    let host: string | undefined;
    for (const [k, v] of res.attributes) {
      if (k === 'service.name' && typeof v === 'string') service = v;
      else if (k === 'host.name' && typeof v === 'string') host = v;
      else base[k] = fieldValue(v);
    }
    const source = sourceName(service);
    for (const r of res.records) {
      const fields: Record<string, MetaValue> = { ...base };
      for (const [k, v] of r.attributes) fields[k] = fieldValue(v);
      if (r.traceId) fields.trace_id = r.traceId;
      if (r.spanId) fields.span_id = r.spanId;
      if (r.eventName) fields.event_name = r.eventName;
      const problem = attributeProblem(fields, limits);
      if (problem !== undefined) {
        refuse(out, 1, problem);
        continue;
      }
      const meta: LineMeta = {};
      const ts = r.timeMs ?? r.observedMs;
      if (ts !== undefined) meta.ts = ts;
      const level = severityLevel(r.severityNumber) ?? (r.severityText || undefined);
      if (level !== undefined) meta.level = level;
      if (service !== undefined) meta.service = service;
      if (host !== undefined) meta.host = host;
      if (Object.keys(fields).length > 0) meta.fields = fields;
      const body = fieldValue(r.body);
      out.records.push({ source, line: body === null ? '' : String(body), meta });
    }
  }
  return out;
}

/** Handles a request to `/v1/logs`; `raw` is the body as received. */
export async function ingestOtlp(req: Request, raw: Uint8Array, ctx: ProducerContext): Promise<Response> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const proto = type === PROTOBUF || type === 'application/protobuf';
  try {
    if (req.method !== 'POST') throw new MethodNotAllowedError(`${req.method} not allowed: POST OTLP logs`);
    if (!proto && type !== JSON_TYPE)
      throw new UnsupportedMediaTypeError(
        `OTLP/HTTP takes ${PROTOBUF} or ${JSON_TYPE}, not ${type || 'no type'}`,
      );
    const cfg = ctx.config;
    const body = await decodeContentEncoding(
      raw,
      req.headers.get('content-encoding'),
      cfg.maxDecompressedBytes,
    );
    const resources = proto ? readProto(body, cfg.ingestMaxRecords) : readJson(body, cfg.ingestMaxRecords);
    const mapped = otlpRecords(resources, cfg.attributes);
    const out = await publishRecords(mapped.records, contentKey('otlp', body), req.signal, ctx);
    if (out.error !== undefined) {
      ctx.logger.warn('otlp publish failed', {
        accepted: out.accepted,
        failed: out.failed,
        err: String(out.error),
      });
      // Retryable (OTLP/HTTP): the client sends the same body again, which has the same key, so the
      // batches already confirmed are not counted twice.
      throw new HttpError(
        503,
        'publish_failed',
        `publish failed: ${(out.error as Error).message ?? out.error}`,
      );
    }
    ctx.logger.info('otlp records accepted', {
      records: out.accepted,
      rejected: mapped.rejected,
      batches: out.batches,
    });
    const message = mapped.rejected
      ? `${mapped.rejected} log records refused: ${mapped.reasons.join('; ')}`
      : '';
    return exportResponse(proto, mapped.rejected, message);
  } catch (e) {
    if ((e as { status?: number }).status === undefined) ctx.logger.error('otlp failed', { err: String(e) });
    return statusResponse(proto, e);
  }
}

function readProto(body: Uint8Array, maxRecords: number): OtlpResourceLogs[] {
  try {
    return decodeOtlpProto(body, maxRecords);
  } catch (e) {
    if (e instanceof ProtoError) throw new BadRequestError(`invalid OTLP protobuf: ${e.message}`);
    throw e;
  }
}

function readJson(body: Uint8Array, maxRecords: number): OtlpResourceLogs[] {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(body));
  } catch (e) {
    throw new BadRequestError(`invalid JSON: ${(e as Error).message}`);
  }
  return decodeOtlpJson(v, maxRecords);
}

/** ExportLogsServiceResponse; partial_success only when something was refused. */
export function exportResponse(proto: boolean, rejected: number, message: string): Response {
  if (proto) {
    const w = new ProtoWriter();
    if (rejected > 0)
      w.bytesField(1, new ProtoWriter().varintField(1, rejected).stringField(2, message).finish());
    return new Response(w.finish(), { status: 200, headers: { 'content-type': PROTOBUF } });
  }
  const doc = rejected > 0 ? { partialSuccess: { rejectedLogRecords: rejected, errorMessage: message } } : {};
  return new Response(JSON.stringify(doc), { status: 200, headers: { 'content-type': JSON_TYPE } });
}

// gRPC codes for google.rpc.Status, by HTTP status.
const GRPC_CODE: Record<number, number> = { 400: 3, 405: 12, 413: 3, 415: 3, 429: 8, 503: 14, 504: 4 };

/**
 * An error as OTLP/HTTP wants it: a google.rpc.Status in the request's encoding. The JSON form also
 * carries the house fields `error` and `status`. 429/502/503/504 are the codes clients retry.
 */
function statusResponse(proto: boolean, e: unknown): Response {
  const status = e instanceof HttpError ? e.status : 500;
  const message = e instanceof HttpError ? e.message : 'internal error';
  const code = GRPC_CODE[status] ?? 13;
  const headers: Record<string, string> = { 'content-type': proto ? PROTOBUF : JSON_TYPE };
  if (status === 503 || status === 429) headers['retry-after'] = '5';
  const body = proto
    ? new ProtoWriter().varintField(1, code).stringField(2, message).finish()
    : JSON.stringify({ code, message, error: message, status });
  return new Response(body, { status, headers });
}

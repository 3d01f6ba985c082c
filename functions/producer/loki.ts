// The Loki push API (`POST /loki/api/v1/push`): JSON (optionally gzip) or snappy-compressed
// protobuf, as Promtail, Alloy, Vector and Fluent Bit send it. Source: the first of the stream
// labels service_name, app, job; the other labels and the structured metadata become fields; each
// entry's nanosecond timestamp becomes the event time. Answers as Loki does: 204, or 400 naming the
// entries refused after the rest were accepted.
import { uncompress } from 'snappyjs';
import {
  BadRequestError,
  HttpError,
  jsonResponse,
  MethodNotAllowedError,
  toErrorResponse,
  UnsupportedMediaTypeError,
} from '../../core/errors.js';
import type { LineMeta, MetaValue } from '../../core/line-meta.js';
import { decodeContentEncoding } from './body.js';
import type { AttributeLimits } from './config.js';
import type { ProducerContext } from './handler.js';
import { decodeLokiJson, decodeLokiProto, type LokiStream } from './loki-decode.js';
import type { MappedRecords } from './otlp.js';
import { ProtoError } from './protobuf.js';
import { attributeProblem, contentKey, publishRecords, refuse, sourceName } from './protocol-records.js';

export const LOKI_PUSH_PATH = '/loki/api/v1/push';
const SOURCE_LABELS = ['service_name', 'app', 'job'];
const LEVEL_LABELS = ['level', 'detected_level', 'severity', 'lvl'];

export function lokiRecords(streams: LokiStream[], limits: AttributeLimits): MappedRecords {
  const out: MappedRecords = { records: [], rejected: 0, reasons: [] };
  for (const s of streams) {
    refuse(out, s.rejected, ...s.reasons);
    const labels = new Map(s.labels);
    const sourceLabel = SOURCE_LABELS.find((l) => labels.get(l));
    const source = sourceName(sourceLabel && labels.get(sourceLabel));
    const base: Record<string, MetaValue> = {};
    for (const [k, v] of s.labels) if (k !== sourceLabel) base[k] = v;
    for (const e of s.entries) {
      const fields: Record<string, MetaValue> = { ...base };
      for (const [k, v] of e.metadata) fields[k] = v;
      const problem = attributeProblem(fields, limits);
      if (problem !== undefined) {
        refuse(out, 1, problem);
        continue;
      }
      const meta: LineMeta = {};
      if (e.ms !== undefined) meta.ts = e.ms;
      const levelKey = LEVEL_LABELS.find((l) => typeof fields[l] === 'string' && fields[l] !== '');
      if (levelKey) meta.level = fields[levelKey] as string;
      if (Object.keys(fields).length > 0) meta.fields = fields;
      out.records.push({ source, line: e.line, meta });
    }
  }
  return out;
}

/** Handles a request to `/loki/api/v1/push`; `raw` is the body as received. */
export async function ingestLoki(req: Request, raw: Uint8Array, ctx: ProducerContext): Promise<Response> {
  try {
    if (req.method !== 'POST') throw new MethodNotAllowedError(`${req.method} not allowed: POST a Loki push`);
    const cfg = ctx.config;
    const type = (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    const encoding = (req.headers.get('content-encoding') ?? '').trim().toLowerCase();
    let body: Uint8Array;
    let streams: LokiStream[];
    if (type === 'application/json') {
      body = await decodeContentEncoding(raw, encoding, cfg.maxDecompressedBytes);
      let v: unknown;
      try {
        v = JSON.parse(new TextDecoder().decode(body));
      } catch (e) {
        throw new BadRequestError(`invalid JSON: ${(e as Error).message}`);
      }
      streams = decodeLokiJson(v, cfg.ingestMaxRecords);
    } else if (type === 'application/x-protobuf' || type === '') {
      // Loki's protobuf push is always a snappy block; a Content-Encoding of snappy says the same.
      const framed =
        encoding === 'snappy' ? raw : await decodeContentEncoding(raw, encoding, cfg.maxDecompressedBytes);
      body = unsnappy(framed, cfg.maxDecompressedBytes);
      try {
        streams = decodeLokiProto(body, cfg.ingestMaxRecords);
      } catch (e) {
        if (e instanceof ProtoError) throw new BadRequestError(`invalid Loki push protobuf: ${e.message}`);
        throw e;
      }
    } else {
      throw new UnsupportedMediaTypeError(
        `a Loki push is application/json or application/x-protobuf (snappy), not ${type}`,
      );
    }
    const mapped = lokiRecords(streams, cfg.attributes);
    const out = await publishRecords(mapped.records, contentKey('loki', body), req.signal, ctx);
    if (out.error !== undefined) {
      ctx.logger.warn('loki publish failed', {
        accepted: out.accepted,
        failed: out.failed,
        err: String(out.error),
      });
      // Promtail, Alloy, Vector and Fluent Bit retry 5xx with the same body: same key, nothing counted twice.
      return jsonResponse(
        {
          error: `publish failed: ${(out.error as Error).message ?? out.error}`,
          code: 'publish_failed',
          status: 503,
          accepted: out.accepted,
          failed: out.failed,
        },
        503,
        { 'retry-after': '5' },
      );
    }
    ctx.logger.info('loki entries accepted', {
      entries: out.accepted,
      rejected: mapped.rejected,
      batches: out.batches,
    });
    if (mapped.rejected > 0) {
      // As Loki answers an invalid entry: 400 (not retried), the valid entries already stored.
      throw new BadRequestError(
        `${mapped.rejected} entries refused, ${out.accepted} accepted: ${mapped.reasons.join('; ')}`,
        { accepted: out.accepted, rejected: mapped.rejected },
      );
    }
    return new Response(null, { status: 204 });
  } catch (e) {
    if ((e as { status?: number }).status === undefined)
      ctx.logger.error('loki push failed', { err: String(e) });
    return toErrorResponse(e);
  }
}

function unsnappy(b: Uint8Array, max: number): Uint8Array {
  try {
    return uncompress(b, max);
  } catch (e) {
    const msg = (e as Error).message;
    if (/too big/.test(msg))
      throw new HttpError(
        413,
        'payload_too_large',
        `decompressed body exceeds MAX_DECOMPRESSED_BYTES (${max} bytes)`,
        {
          limitBytes: max,
        },
      );
    throw new BadRequestError(
      `body is not a snappy block (Loki's protobuf push is snappy-compressed): ${msg}`,
    );
  }
}

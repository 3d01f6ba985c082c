// The parse-log HTTP function: POST lines (text or the batch envelope), get NDJSON events back,
// one per record (a line, or a multi-line event: core/multiline.ts), in input order. Templates are
// shared with other replicas through the KV.
import { BadRequestError, MethodNotAllowedError, toErrorResponse } from '../../core/errors.js';
import { acceptsEventBatch, EVENT_BATCH_TYPE, encodeEventBatchBytes } from '../../core/event-batch.js';
import { EVENT_BATCH_BIN_TYPE, EventBatchBinWriter } from '../../core/event-batch-bin.js';
import { deriveBatchId, H, NDJSON } from '../../core/headers.js';
import { bytesResponse, knownBytes } from '../../core/http/bytes.js';
import type { KV } from '../../core/kv/types.js';
import type { Logger } from '../../core/log.js';
import { multilineOn, requestedMultiline } from '../../core/multiline-config.js';
import { type Batch, ENVELOPE_TYPE, parseEnvelope, splitText } from './body.js';
import type { ParseLogConfig } from './config.js';
import { type CustomFormat, compileFormat, FormatError } from './formats/custom.js';
import { toNdjson } from './ndjson.js';
import { eachParsed, parseBatch } from './pipeline.js';
import { groupBatch } from './records.js';
import { TemplateStore } from './template-store.js';

export interface ParseLogDeps {
  kv: KV;
  config: ParseLogConfig;
  logger: Logger;
  now?: () => number;
}

const MAX_SOURCE_LENGTH = 128;
/** Compiled format strings kept; formats come from clients, so the cache is bounded. */
const MAX_CACHED_FORMATS = 64;

export function createParseLogHandler(deps: ParseLogDeps): (req: Request) => Promise<Response> {
  const now = deps.now ?? Date.now;
  const { config } = deps;
  const store = new TemplateStore({
    kv: deps.kv,
    limits: config.limits,
    refreshMs: config.templateRefreshMs,
    maxSources: config.maxSources,
    memorySources: config.memorySources,
    maxTemplatesTotal: config.maxTemplatesTotal,
    now,
    logger: deps.logger,
  });
  const formats = new Map<string, CustomFormat>();

  function formatFor(text: string | undefined): CustomFormat | undefined {
    if (!text) return undefined;
    let f = formats.get(text);
    if (f) return f;
    try {
      f = compileFormat(text);
    } catch (e) {
      throw new BadRequestError(`bad log format: ${e instanceof FormatError ? e.message : String(e)}`);
    }
    if (formats.size >= MAX_CACHED_FORMATS) formats.delete(formats.keys().next().value as string);
    formats.set(text, f);
    return f;
  }

  return async (req) => {
    try {
      if (req.method !== 'POST') throw new MethodNotAllowedError('parse-log accepts POST only');
      const url = new URL(req.url);
      let batch = await readBatch(req);
      const source = batch.source ?? url.searchParams.get('source') ?? req.headers.get(H.source) ?? 'default';
      if (source.length === 0 || source.length > MAX_SOURCE_LENGTH) {
        throw new BadRequestError(`source must be 1 to ${MAX_SOURCE_LENGTH} characters`);
      }
      const formatText =
        batch.format ??
        url.searchParams.get('format') ??
        req.headers.get(H.logFormat) ??
        config.sourceFormats[source] ??
        undefined;
      const format = formatFor(formatText);
      const requested = requestedMultiline(url.searchParams.get('multiline'), req.headers.get(H.multiline));
      const multiline = multilineOn(config.multiline, source, requested)
        ? config.multiline.limits
        : undefined;
      // Entries with meta are a protocol's records (OTLP, Loki), each one event already: never joined.
      if (multiline && !batch.meta) batch = groupBatch(batch, multiline);
      const at = now();
      // The pipeline's connector asks for the binary batch (core/event-batch-bin.ts), or the compact JSON
      // one (core/event-batch.ts); curl gets NDJSON.
      const accept = req.headers.get('accept');
      const type = acceptsEventBatch(accept, EVENT_BATCH_BIN_TYPE)
        ? EVENT_BATCH_BIN_TYPE
        : acceptsEventBatch(accept)
          ? EVENT_BATCH_TYPE
          : NDJSON;
      // Encoded as soon as parsed, before any await: the events die young instead of surviving the
      // template flush (and other requests' work) into the old generation, which garbage collection
      // paid for (docs/capacity.md).
      const body = await store.parseWith(source, (miner) => {
        const ctx = {
          source,
          format,
          limits: config.limits,
          miner,
          now: at,
          preProblems: batch.problems,
          multiline,
          meta: batch.meta,
        };
        if (type === EVENT_BATCH_BIN_TYPE) {
          // Each event encoded as it is parsed, and let go.
          const w = new EventBatchBinWriter(batch.lines.length);
          eachParsed(batch.lines, batch.labels, ctx, (ev, _, ms) => w.add(ev, ms));
          return w.done();
        }
        // Each event's time as the parser computed it, for the compact encoder.
        const times = new Float64Array(batch.lines.length);
        const events = parseBatch(batch.lines, batch.labels, ctx, times);
        return type === EVENT_BATCH_TYPE ? encodeEventBatchBytes(events, times) : toNdjson(events);
      });
      const headers: Record<string, string> = { 'content-type': type };
      const batchId = req.headers.get(H.batchId);
      if (batchId) headers[H.batchId] = deriveBatchId(batchId, 'parse-log');
      // Handed to the server adapter as is: no copy into the Response, none out of it (core/http/bytes.ts).
      return bytesResponse(body, { status: 200, headers });
    } catch (e) {
      return toErrorResponse(e);
    }
  };
}

async function readBatch(req: Request): Promise<Batch> {
  // The bytes the server adapter read, when it kept them (a batch's ~300 KB), without a copy.
  const bytes = knownBytes(req) ?? new Uint8Array(await req.arrayBuffer());
  if (bytes.length === 0) throw new BadRequestError('empty body: send one or more log lines');
  const type = (req.headers.get(H.contentType) ?? '').split(';')[0].trim().toLowerCase();
  if (type === ENVELOPE_TYPE) return parseEnvelope(new TextDecoder().decode(bytes));
  return splitText(bytes);
}

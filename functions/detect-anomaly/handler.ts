// detect-anomaly: LogEvents in (NDJSON, or parse-log's compact batch), NDJSON AnomalyResults out; the
// batch's scoring, incidents, writes and training are the detector's (detector.ts).
import { BadRequestError, MethodNotAllowedError, toErrorResponse } from '../../core/errors.js';
import type { LogEvent } from '../../core/event.js';
import { EVENT_BATCH_TYPE } from '../../core/event-batch.js';
import { EVENT_BATCH_BIN_TYPE } from '../../core/event-batch-bin.js';
import { EventBatchError } from '../../core/event-batch-read.js';
import { keepStringPrototypeFast } from '../../core/fast-strings.js';
import { deriveBatchId, H, NDJSON } from '../../core/headers.js';
import { knownBytes } from '../../core/http/bytes.js';
import { encodeIncidentChanges } from '../../core/incident-change.js';
import type { KV } from '../../core/kv/types.js';
import type { Logger } from '../../core/log.js';
import type { SearchStoreConfig } from '../../core/search/config.js';
import type { DetectConfig } from './config.js';
import { createDetector } from './detector.js';
import { type ParsedBody, parseBody, parseEventBatch, skimEventBatch } from './input.js';

export interface DetectDeps {
  kv: KV;
  config: DetectConfig;
  logger: Logger;
  now?: () => number;
  /** How often the mute list is re-checked (default MUTE_REFRESH_MS, mutes.ts). */
  muteRefreshMs?: number;
  /** Where the batch's lines are kept for search (core/search); absent = not kept. */
  search?: SearchStoreConfig;
}

export { OTHER_SOURCE } from './detector.js';

const UTF8 = new TextDecoder();

/** The body's type and bytes, as sent. */
interface Body {
  type: string;
  bytes: Uint8Array;
}

async function readBody(req: Request): Promise<Body> {
  const type = (req.headers.get(H.contentType) ?? '').split(';')[0].trim().toLowerCase();
  // The bytes the server adapter read, when it kept them (a batch's ~0.3 MB), without reading them
  // through the body stream first (that stream read was ~2-3% of this function's CPU).
  const bytes = knownBytes(req) ?? new Uint8Array(await req.arrayBuffer());
  return { type, bytes };
}

/** NDJSON LogEvents, or parse-log's binary batch (as the pipeline sends it) or compact JSON batch. */
function decodeBody({ type, bytes }: Body, now: number, reuse?: LogEvent[]): ParsedBody {
  // ioredis's String subclass slows every string method down until this runs (core/fast-strings.ts).
  keepStringPrototypeFast();
  // Same decoding as req.text(): UTF-8, a leading BOM dropped, bad sequences replaced. The compact batch
  // decodes its lines one by one (core/event-batch-read.ts).
  const bin = type === EVENT_BATCH_BIN_TYPE;
  const body = batchErrors(type, () =>
    !bin && type !== EVENT_BATCH_TYPE
      ? parseBody(UTF8.decode(bytes), now)
      : parseEventBatch(bytes, now, bin, reuse),
  );
  if (!body.events.length) {
    throw new BadRequestError('no usable LogEvent in the body (expected NDJSON of parse-log events)', {
      rejected: body.rejected,
      reasons: body.reasons,
    });
  }
  return body;
}

/** A batch that is not one as a 400 naming its type. */
function batchErrors<T>(type: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof EventBatchError) throw new BadRequestError(`bad ${type} body: ${e.message}`);
    throw e;
  }
}

export function createDetectAnomalyHandler(deps: DetectDeps): (req: Request) => Promise<Response> {
  const { logger } = deps;
  const clock = deps.now ?? Date.now;
  const detector = createDetector(deps);

  /**
   * The batch scored and applied. parse-log's binary batch is decoded only once its state is read: a
   * batch waiting on the store is held as its bytes, not as its events (detector.ts says why).
   */
  function run(body: Body, now: number, batchId: string | undefined, headers: Record<string, string>) {
    const read = (reuse?: LogEvent[]) => {
      const parsed = decodeBody(body, now, reuse);
      headers['x-events-processed'] = String(parsed.events.length);
      headers['x-lines-rejected'] = String(parsed.rejected);
      return parsed;
    };
    if (body.type !== EVENT_BATCH_BIN_TYPE) {
      const { events, times } = read();
      return detector.process(events, times, now, batchId);
    }
    const rows = batchErrors(body.type, () => skimEventBatch(body.bytes));
    return detector.processDeferred({ rows, read }, now, batchId);
  }

  return async (req) => {
    try {
      if (req.method !== 'POST') throw new MethodNotAllowedError('POST NDJSON LogEvents');
      const now = clock();
      const batchId = req.headers.get(H.batchId) ?? undefined;
      const headers: Record<string, string> = { 'content-type': NDJSON };
      const { anomalies, incidentChanges } = await run(await readBody(req), now, batchId, headers);
      if (batchId) headers[H.batchId] = deriveBatchId(batchId, 'detect-anomaly');
      // The batch's incident changes, for the connector to publish to logs.incidents (stack.yml).
      const changes = encodeIncidentChanges(incidentChanges);
      if (changes) headers[H.sideOutput] = changes;
      const text = anomalies.map((a) => JSON.stringify(a)).join('\n');
      return new Response(text ? `${text}\n` : '', { status: 200, headers });
    } catch (e) {
      if (!(e instanceof BadRequestError || e instanceof MethodNotAllowedError)) {
        logger.error('detect-anomaly failed', { err: e instanceof Error ? e.stack : String(e) });
      }
      return toErrorResponse(e);
    }
  };
}

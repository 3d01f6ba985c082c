// Raw lines in: decode, split into bounded batches, publish with confirms, answer with what was confirmed.

import { BadRequestError, jsonResponse } from '../../core/errors.js';
import { H } from '../../core/headers.js';
import { isSimulatedSource, SIMULATED_PREFIX } from '../../core/simulated.js';
import { decodeTextBody } from './body.js';
import type { ProducerContext } from './handler.js';
import { type OutBatch, publishAll } from './publish.js';
import { splitBatches } from './split.js';

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const FORMAT = /^[A-Za-z0-9._-]{1,32}$/;
/** Responses list batch ids only up to this many, so a large upload's answer stays small. */
export const MAX_LISTED_IDS = 100;

export async function ingestText(
  raw: Uint8Array,
  req: Request,
  url: URL,
  key: string | null,
  ctx: ProducerContext,
): Promise<Response> {
  const source = url.searchParams.get('source') ?? req.headers.get(H.source) ?? 'default';
  const format = url.searchParams.get('format') ?? req.headers.get(H.logFormat);
  if (!SOURCE.test(source))
    throw new BadRequestError(`source ${JSON.stringify(source)} must match ${SOURCE.source}`);
  // Simulated sources are told apart by name on every view, so real logs may not pass for them.
  if (isSimulatedSource(source))
    throw new BadRequestError(
      `source ${JSON.stringify(source)}: names starting with ${SIMULATED_PREFIX} are kept for the simulation`,
    );
  if (format !== null && !FORMAT.test(format))
    throw new BadRequestError(`format ${JSON.stringify(format)} must match ${FORMAT.source}`);
  const cfg = ctx.config;
  const body = await decodeTextBody(raw, req.headers.get('content-encoding'), cfg.maxDecompressedBytes);
  const parts = splitBatches(body, cfg.batchLines, cfg.batchBytes);
  const total = parts.reduce((s, p) => s + p.lines, 0);
  const base = key ?? ctx.newId();
  const batches: OutBatch[] = parts.map((p, i) => {
    const id = `${base}:${i}`;
    const headers: Record<string, string> = { [H.batchId]: id, [H.source]: source };
    if (format) headers[H.logFormat] = format;
    return { id, lines: p.lines, body: p.body, headers, contentType: 'text/plain' };
  });
  const started = ctx.now();
  const out = await publishAll(ctx.broker, cfg.topic, batches, {
    concurrency: cfg.publishConcurrency,
    signal: req.signal,
  });
  const result = {
    accepted: out.confirmedLines,
    batches: out.confirmedBatches,
    ...(out.confirmedIds.length <= MAX_LISTED_IDS ? { batchIds: out.confirmedIds } : {}),
    source,
  };
  if (out.error !== undefined) {
    ctx.logger.warn('publish failed', {
      source,
      accepted: out.confirmedLines,
      total,
      err: String(out.error),
    });
    return jsonResponse(
      {
        error: `publish failed: ${(out.error as Error).message ?? out.error}`,
        code: 'publish_failed',
        status: 503,
        ...result,
        failed: total - out.confirmedLines,
      },
      503,
      { 'retry-after': '5' },
    );
  }
  ctx.logger.info('lines accepted', {
    source,
    lines: total,
    batches: batches.length,
    ms: ctx.now() - started,
  });
  return jsonResponse(result);
}

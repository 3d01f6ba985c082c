// Simulation requests: validate, generate lazily, publish per-source batches (labels in the envelope,
// never in the line), and answer with counts per source and per scenario once confirmed.
import { BadRequestError, jsonResponse } from '../../core/errors.js';
import { H, NDJSON } from '../../core/headers.js';
import type { ProducerContext } from './handler.js';
import { MAX_LISTED_IDS } from './ingest-text.js';
import { type OutBatch, publishAll } from './publish.js';
import { BATCH_JSON, encodeSimBatch, type SimBatch, simulationBatches } from './sim-batches.js';
import {
  DEFAULT_LINES,
  DEFAULT_RATE,
  planSimulation,
  type SimulationRequest,
  simulate,
} from './simulate/index.js';
import { validateSimulationRequest } from './simulate/validate.js';

interface Labelled extends OutBatch {
  sim: SimBatch;
}

export async function ingestSimulation(
  input: unknown,
  key: string | null,
  signal: AbortSignal,
  ctx: ProducerContext,
): Promise<Response> {
  const v = validateSimulationRequest(input, ['publish', 'realtime']);
  const o = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const problems = v.ok ? [] : [...v.errors];
  for (const k of ['publish', 'realtime']) {
    if (o?.[k] !== undefined && typeof o[k] !== 'boolean') problems.push(`${k} must be true or false`);
  }
  if (!v.ok || problems.length)
    throw new BadRequestError(`invalid simulation request: ${problems.join('; ')}`, { problems });
  const cfg = ctx.config;
  const realtime = o.realtime === true;
  const req: SimulationRequest = { ...v.request };
  if (req.startTime === undefined) {
    // Published as fast as possible, the lines are history: they end now, so they fall in the stats
    // windows. In real time they start now and arrive as they happen.
    const spanMs = Math.round(
      (req.durationSec ?? (req.lines ?? DEFAULT_LINES) / (req.rate ?? DEFAULT_RATE)) * 1000,
    );
    req.startTime = realtime ? ctx.now() : ctx.now() - spanMs;
  }
  const wanted =
    req.lines ??
    (req.durationSec !== undefined ? (req.rate ?? DEFAULT_RATE) * req.durationSec : DEFAULT_LINES);
  const publish = o.publish !== false;
  const limit = publish ? cfg.maxSimulationLines : cfg.maxPreviewLines;
  if (wanted > limit) {
    throw new BadRequestError(
      `simulation of ~${Math.ceil(wanted)} lines exceeds ${publish ? 'MAX_SIMULATION_LINES' : 'MAX_PREVIEW_LINES'} (${limit})`,
    );
  }
  // A surge can push a duration-bound run past its estimate; the limit holds regardless.
  req.lines = Math.min(req.lines ?? limit, limit);
  const plan = planSimulation(req);
  if (!publish) return preview(req);

  const rate = req.rate ?? DEFAULT_RATE;
  // In real time a batch waits until its last line has "happened": keep batches to ~1 s of traffic.
  const batchLines = realtime ? Math.max(1, Math.min(cfg.batchLines, Math.ceil(rate))) : cfg.batchLines;
  const base = key ?? ctx.newId();
  let index = 0;
  function* batches(): Generator<Labelled> {
    for (const sim of simulationBatches(simulate(req), batchLines, cfg.batchBytes)) {
      const id = `${base}:${index++}`;
      const headers = { [H.batchId]: id, [H.source]: sim.source };
      yield { id, lines: sim.lines.length, body: encodeSimBatch(sim), headers, contentType: BATCH_JSON, sim };
    }
  }
  const bySource: Record<string, number> = {};
  const labelled: Record<string, number> = {};
  const wallStart = ctx.now();
  // Real time: one batch at a time, each released when the wall clock reaches its last line's time.
  const pace = async (b: OutBatch) => {
    const wait = wallStart + ((b as Labelled).sim.lastTs - plan.startTime) - ctx.now();
    if (wait > 0) await ctx.sleep(wait, signal);
  };
  const out = await publishAll(ctx.broker, cfg.topic, batches(), {
    concurrency: realtime ? 1 : cfg.publishConcurrency,
    signal,
    beforePublish: realtime ? pace : undefined,
    onConfirmed: (b) => {
      const sim = (b as Labelled).sim;
      bySource[sim.source] = (bySource[sim.source] ?? 0) + sim.lines.length;
      for (const l of sim.labels) if (l !== null) labelled[l] = (labelled[l] ?? 0) + 1;
    },
  });
  const result = {
    accepted: out.confirmedLines,
    batches: out.confirmedBatches,
    ...(out.confirmedIds.length <= MAX_LISTED_IDS ? { batchIds: out.confirmedIds } : {}),
    bySource,
    labelled,
    seed: plan.seed,
    startTime: plan.startTime,
    scenarios: plan.scenarios,
  };
  if (out.error !== undefined) {
    ctx.logger.warn('simulation publish failed', { accepted: out.confirmedLines, err: String(out.error) });
    const failed =
      req.durationSec === undefined
        ? Math.max(out.unconfirmedLines, plan.lines - out.confirmedLines)
        : out.unconfirmedLines;
    const error = `publish failed: ${(out.error as Error).message ?? out.error}`;
    return jsonResponse({ error, code: 'publish_failed', status: 503, ...result, failed }, 503, {
      'retry-after': '5',
    });
  }
  ctx.logger.info('simulation published', {
    lines: out.confirmedLines,
    batches: out.confirmedBatches,
    ms: ctx.now() - wallStart,
  });
  return jsonResponse(result);
}

/** `publish: false`: the lines themselves as NDJSON, for inspection (bounded by MAX_PREVIEW_LINES). */
function preview(req: SimulationRequest): Response {
  const parts: string[] = [];
  for (const l of simulate(req)) parts.push(JSON.stringify(l));
  return new Response(parts.length ? `${parts.join('\n')}\n` : '', {
    status: 200,
    headers: { 'content-type': NDJSON },
  });
}

// Raw lines in: decode, split into bounded batches (between multi-line records), publish with confirms,
// answer with what was confirmed. An open record at the end (a trace that may go on) is held back in
// the KV for the source's next request (tails.ts) and counts as accepted once stored there.

import { BadRequestError, jsonResponse } from '../../core/errors.js';
import { H } from '../../core/headers.js';
import type { HeldLock } from '../../core/kv/lock.js';
import { mayGroupBytes } from '../../core/multiline.js';
import { multilineOn, requestedMultiline } from '../../core/multiline-config.js';
import { isSimulatedSource, SIMULATED_PREFIX } from '../../core/simulated.js';
import { decodeTextBody } from './body.js';
import type { ProducerContext } from './handler.js';
import { type OutBatch, publishAll, publishSharing, textBatchHeaders } from './publish.js';
import { bodyLines, lineOffset, planRecords, type RecordPlan } from './records.js';
import { splitBatches, stripLineCr } from './split.js';
import { type HeldTail, TailStore } from './tails.js';

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const FORMAT = /^[A-Za-z0-9._-]{1,32}$/;
/** Responses list batch ids only up to this many, so a large upload's answer stays small. */
export const MAX_LISTED_IDS = 100;
/** How long a request waits for its source's tail lock (another request of the source holds it). */
const TAIL_LOCK_WAIT_MS = 2000;
const UTF8 = new TextEncoder();

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
  const requested =
    requestedMultiline(url.searchParams.get('multiline'), req.headers.get(H.multiline)) ?? null;
  const cfg = ctx.config;
  const body = stripLineCr(
    await decodeTextBody(raw, req.headers.get('content-encoding'), cfg.maxDecompressedBytes),
  );
  const base = key ?? ctx.newId();
  const grouping = multilineOn(cfg.multiline, source, requested ?? undefined);
  // `complete`: the sender cut the body between records (logfaas send), so nothing is held back.
  const holdBack = grouping && ctx.kv !== undefined && req.headers.get(H.multilineEnd) !== 'complete';
  const plan: Plan = grouping
    ? await planWithTail(body, { source, base, format, requested, holdBack }, ctx)
    : { data: body, carried: 0, held: null, tail: null };
  try {
    const parts = splitBatches(plan.data, cfg.batchLines, cfg.batchBytes, plan.starts);
    const lines = parts.reduce((s, p) => s + p.lines, 0);
    const total = lines - plan.carried + (plan.held?.lines.length ?? 0);
    // Lines carried from the previous request's tail were accepted by that request: counted there.
    let carried = plan.carried;
    const carriedIn: string[] = [];
    const batches: OutBatch[] = parts.map((p, i) => {
      const id = `${base}:${i}`;
      const own = p.lines - Math.min(carried, p.lines);
      if (own < p.lines) carriedIn.push(id);
      carried -= p.lines - own;
      return {
        id,
        lines: own,
        body: p.body,
        headers: textBatchHeaders(id, source, format, requested),
        contentType: 'text/plain',
      };
    });
    const started = ctx.now();
    const publish = { concurrency: cfg.publishConcurrency, signal: req.signal };
    // A batch of at most half a message may share one with other requests' batches (a larger one saves
    // little of a message's cost and would only wait), unless a retry must make the same batch ids (an
    // idempotency key) or its lines may belong to a record of another batch (a held or carried tail, or
    // lines that could continue a record: a shared message joins bodies).
    const out =
      ctx.coalescer && key === null && !plan.lock && plan.starts === undefined
        ? await publishSharing(ctx.broker, cfg.topic, batches, {
            ...publish,
            coalescer: ctx.coalescer,
            share: (b) => b.lines * 2 <= cfg.batchLines,
          })
        : await publishAll(ctx.broker, cfg.topic, batches, publish);
    let held = 0;
    let error = out.error;
    if (plan.lock) {
      // The new tail is kept only when everything before it was published (lines never overtake each
      // other); the old one is removed once nothing of it is left to publish.
      const confirmed = new Set(out.confirmedIds);
      const carriedOut = plan.carried > 0 && carriedIn.every((id) => confirmed.has(id));
      const next = error === undefined ? plan.held : null;
      const drop = error === undefined ? plan.tail !== null : carriedOut;
      try {
        if (next || drop) await new TailStore(ctx.kv!).put(source, next);
        if (next) held = next.lines.length;
      } catch (e) {
        error ??= e;
      }
    }
    const accepted = out.confirmedLines + held;
    const result = {
      accepted,
      batches: out.confirmedBatches,
      ...(out.confirmedIds.length <= MAX_LISTED_IDS ? { batchIds: out.confirmedIds } : {}),
      ...(held > 0 ? { held } : {}),
      source,
    };
    if (error !== undefined) {
      ctx.logger.warn('publish failed', { source, accepted, total, err: String(error) });
      return jsonResponse(
        {
          error: `publish failed: ${(error as Error).message ?? error}`,
          code: 'publish_failed',
          status: 503,
          ...result,
          failed: total - accepted,
        },
        503,
        { 'retry-after': '5' },
      );
    }
    ctx.logger.info('lines accepted', {
      source,
      lines: total,
      held,
      batches: batches.length,
      ms: ctx.now() - started,
    });
    return jsonResponse(result);
  } finally {
    await plan.lock?.release();
  }
}

interface PlanOptions {
  source: string;
  base: string;
  format: string | null;
  requested: boolean | null;
  holdBack: boolean;
}

interface Plan {
  /** What to publish: the carried tail's lines, then the body without the lines held back. */
  data: Uint8Array;
  carried: number;
  starts?: Uint8Array;
  /** The tail to store for the next request, if any. */
  held: HeldTail | null;
  /** The tail found in the KV (taken, or dropped as this same request's). */
  tail: HeldTail | null;
  /** Held while the request may take or replace the source's tail. */
  lock?: HeldLock;
}

/** Groups the body (after the source's held tail, if any) into records and decides what to hold back. */
async function planWithTail(body: Uint8Array, o: PlanOptions, ctx: ProducerContext): Promise<Plan> {
  const { source, base, holdBack } = o;
  const limits = ctx.config.multiline.limits;
  // Decoded only where a line may open or continue a record: ordinary logs skip the decode.
  const lines = mayGroupBytes(body) ? bodyLines(body) : undefined;
  let plan: RecordPlan = lines ? planRecords(lines, limits, holdBack) : { held: 0 };
  const store = ctx.kv ? new TailStore(ctx.kv) : undefined;
  let tail: HeldTail | null = null;
  let lock: HeldLock | undefined;
  try {
    tail = store ? await store.get(source) : null;
    if (store && (tail !== null || plan.held > 0)) {
      lock = await store.lock(source, TAIL_LOCK_WAIT_MS);
      tail = lock ? await store.get(source) : null;
    }
  } catch (e) {
    // Without the KV nothing is held back or taken: the body goes out whole, as without grouping.
    ctx.logger.warn('held tails unavailable', { source, err: String(e) });
    await lock?.release();
    return {
      data: body,
      carried: 0,
      starts: lines && planRecords(lines, limits, false).starts,
      held: null,
      tail: null,
    };
  }
  if (!lock) {
    if (lines && plan.held > 0) plan = planRecords(lines, limits, false);
    return { data: body, carried: 0, starts: plan.starts, held: null, tail: null };
  }
  // A retry of the request that held this tail sends those lines again: the stored copy is dropped.
  const carry = tail && tail.key !== base ? tail.lines : [];
  // Every line, the carried ones first (undefined: the body's own, none of which may group).
  const all = carry.length ? [...carry, ...(lines ?? bodyLines(body))] : lines;
  if (all) plan = planRecords(all, limits, holdBack);
  let data = carry.length ? concat(UTF8.encode(`${carry.join('\n')}\n`), body) : body;
  let held: HeldTail | null = null;
  if (all && plan.held > 0) {
    const from = all.length - plan.held;
    held = {
      lines: all.slice(from),
      id: `${base}:tail`,
      key: base,
      format: o.format,
      multiline: o.requested,
      due: ctx.now() + ctx.config.multilineFlushMs,
    };
    data = data.subarray(0, Math.max(0, lineOffset(data, from) - 1));
  }
  const carried = Math.min(carry.length, (all?.length ?? 0) - plan.held);
  return { data, carried, starts: plan.starts, held, tail, lock };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

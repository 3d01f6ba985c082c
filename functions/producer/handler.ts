// The producer function: POST raw log lines (text, optionally gzip) or a JSON simulation request;
// lines are published to the broker in bounded batches and counted as accepted only once confirmed.
import type { Broker } from '../../core/broker/types.js';
import { BadRequestError, jsonResponse, MethodNotAllowedError, toErrorResponse } from '../../core/errors.js';
import type { KV } from '../../core/kv/types.js';
import type { Logger } from '../../core/log.js';
import { type Coalescer, createCoalescer } from './coalesce.js';
import { type ProducerConfig, scheduledSimulation } from './config.js';
import { ingestSimulation } from './ingest-simulation.js';
import { ingestText } from './ingest-text.js';
import { ingestLoki, LOKI_PUSH_PATH } from './loki.js';
import { ingestOtlp, OTLP_LOGS_PATH } from './otlp.js';

export interface ProducerDeps {
  broker: Broker;
  /** Where open multi-line records wait for the source's next request (tails.ts); none: nothing is held. */
  kv?: KV;
  config: ProducerConfig;
  logger: Logger;
  /** Id of a request whose client sent no idempotency key; batch ids are `${id}:${index}`. */
  newId?: () => string;
  now?: () => number;
  /** Used to pace `realtime: true` simulations. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type ProducerContext = Required<Omit<ProducerDeps, 'kv'>> &
  Pick<ProducerDeps, 'kv'> & {
    /** Where small batches of requests without an idempotency key wait to share a message (coalesce.ts). */
    coalescer?: Coalescer;
  };

const KEY = /^[\x21-\x7e]{1,200}$/;
const PROTOCOLS: Record<string, typeof ingestOtlp> = {
  [OTLP_LOGS_PATH]: ingestOtlp,
  [LOKI_PUSH_PATH]: ingestLoki,
};

export function createProducerHandler(deps: ProducerDeps): (req: Request) => Promise<Response> {
  const ctx: ProducerContext = {
    newId: () => globalThis.crypto.randomUUID(),
    now: () => Date.now(),
    sleep: defaultSleep,
    ...deps,
  };
  const cfg = deps.config;
  if (cfg.batchLingerMs > 0)
    ctx.coalescer = createCoalescer({
      broker: deps.broker,
      topic: cfg.topic,
      maxLines: cfg.batchLines,
      maxBytes: cfg.batchBytes,
      lingerMs: cfg.batchLingerMs,
      // Half the requests the server takes at once: the rest keep room for the senders of other groups.
      maxWaiting: Math.max(1, Math.floor(cfg.http.maxInflight / 2)),
    });
  let tick = 0;
  return async (req) => {
    try {
      const url = new URL(req.url);
      // Shippers' own protocols, at the paths their clients append to the endpoint they are given.
      const protocol = PROTOCOLS[url.pathname];
      if (protocol) return await protocol(req, new Uint8Array(await req.arrayBuffer()), ctx);
      if (req.method !== 'POST')
        throw new MethodNotAllowedError(
          `${req.method} not allowed: POST log lines or a JSON simulation request`,
        );
      const key = req.headers.get('x-idempotency-key') ?? url.searchParams.get('key');
      if (key !== null && !KEY.test(key))
        throw new BadRequestError('idempotency key must be 1-200 printable ASCII characters');
      const raw = new Uint8Array(await req.arrayBuffer());
      const type = (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();

      // The cron-connector (and `logfaas up`'s timer) tick with an empty POST: run the scheduled load.
      if (raw.length === 0 && isScheduleTick(req, url)) {
        if (ctx.config.simulateScheduleMs === 0) return jsonResponse({ skipped: 'SIMULATE_SCHEDULE is off' });
        return await ingestSimulation(scheduledSimulation(ctx.config, tick++), key, req.signal, ctx);
      }
      if (type === 'application/json') {
        const text = new TextDecoder().decode(raw);
        if (text.trim() === '') throw new BadRequestError('empty body: send a JSON simulation request');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (e) {
          throw new BadRequestError(`invalid JSON: ${(e as Error).message}`);
        }
        return await ingestSimulation(json, key, req.signal, ctx);
      }
      return await ingestText(raw, req, url, key, ctx);
    } catch (e) {
      if ((e as { status?: number }).status === undefined)
        deps.logger.error('producer failed', { err: String(e) });
      return toErrorResponse(e);
    }
  };
}

/**
 * The openfaas/cron-connector POSTs an empty body with no Content-Type and no marker header (see its
 * types/cron_function.go), from Go's default client; `logfaas up`'s timer and manual ticks say so
 * explicitly. A person's empty POST (curl, the CLI) still gets 400.
 */
function isScheduleTick(req: Request, url: URL): boolean {
  if (
    req.headers.has('x-connector') ||
    req.headers.get('x-topic') === 'cron-function' ||
    url.searchParams.has('schedule')
  ) {
    return true;
  }
  return (
    !req.headers.has('content-type') && (req.headers.get('user-agent') ?? '').startsWith('Go-http-client/')
  );
}
function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

// GET /function/stats[?window=15m]: the stats document (core/stats/doc.ts) as JSON, never cached;
// GET /function/stats?incident=ID: one incident with its example lines.
import type { Broker } from '../../core/broker/types.js';
import {
  BadRequestError,
  jsonResponse,
  MethodNotAllowedError,
  NotFoundError,
  toErrorResponse,
} from '../../core/errors.js';
import { keepStringPrototypeFast } from '../../core/fast-strings.js';
import { DEFAULT_INCIDENT_QUIET_MS, type Incident, readIncidents } from '../../core/incident.js';
import type { KV } from '../../core/kv/types.js';
import { readModelStatus } from '../../core/model-status.js';
import { BucketCache } from '../../core/stats/bucket-cache.js';
import { readStats } from '../../core/stats/read.js';
import { TemplateViewCache } from '../../core/stats/templates.js';
import { parseWindow, type StatsConfig } from './config.js';
import { createMutesRoute, isMutesPath } from './mutes.js';

export interface StatsDeps {
  kv: KV;
  broker?: Pick<Broker, 'queueStats'>;
  config: StatsConfig;
  now?: () => number;
}

const HEADERS = {
  'cache-control': 'no-store',
  'access-control-allow-origin': '*',
};

/** The stats Web handler, plus `warm()` to fill its caches before the first request. */
export type StatsHandler = ((req: Request) => Promise<Response>) & {
  /**
   * Reads the largest window once and drops the answer: fetches and parses every closed bucket into the
   * cache, primes storage info and compiles the read path, so the first real request pays only the open
   * buckets (main.ts awaits it before listening; a failure only means the first request is cold).
   */
  warm(): Promise<void>;
};

/** Builds the stats Web handler. */
export function createStatsHandler(deps: StatsDeps): StatsHandler {
  const now = deps.now ?? Date.now;
  // Closed time buckets never change (they are keyed by processing time), so each process keeps them.
  const cache = new BucketCache();
  // Storage size moves slowly and the embedded store's info() walks every key: refresh it every 10 s.
  const storageInfo = memoize(() => deps.kv.info(), STORAGE_INFO_TTL_MS, now);
  // Queue depths: one broker round trip per queue per second serves every request in between, so many
  // open dashboards (or a client polling at 20/s) do not each cost one AMQP call per queue.
  const broker = deps.broker && memoizeQueueStats(deps.broker, QUEUE_STATS_TTL_MS, now);
  // Template texts from the template store: a read of up to 1,000 templates, shared for a second.
  const templateCache = new TemplateViewCache(TEMPLATE_VIEW_TTL_MS, now);
  const read = (windowMs: number) => {
    // Field names are parsed with string methods; ioredis's String subclass slows them (core/fast-strings.ts).
    keepStringPrototypeFast();
    return readStats(deps.kv, {
      windowMs,
      now: now(),
      broker,
      queues: deps.config.queues,
      brokerTimeoutMs: deps.config.brokerTimeoutMs,
      modelStatus: () => readModelStatus(deps.kv),
      cache,
      storageInfo,
      templateCache,
    });
  };
  /** One incident with its example lines: GET /function/stats?incident=ID. */
  const incidentById = async (id: string): Promise<Incident> => {
    if (!/^[0-9a-f]{1,32}$/.test(id))
      throw new BadRequestError('incident must be an incident id (hex)', { incident: id });
    keepStringPrototypeFast();
    const all = await readIncidents(deps.kv, { now: now(), quietMs: DEFAULT_INCIDENT_QUIET_MS });
    const found = all.find((x) => x.id === id);
    if (!found) throw new NotFoundError(`no incident ${id} (it may have aged out of the closed list)`);
    return found;
  };
  const mutes = createMutesRoute({ kv: deps.kv, admin: deps.config.admin, now });
  const handler = async (req: Request): Promise<Response> => {
    try {
      const url = new URL(req.url);
      if (isMutesPath(url.pathname) && req.method !== 'OPTIONS') return await mutes(req);
      if (req.method === 'OPTIONS') {
        return new Response(null, {
          status: 204,
          headers: {
            ...HEADERS,
            'access-control-allow-methods': 'GET, HEAD',
            'access-control-max-age': '600',
          },
        });
      }
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new MethodNotAllowedError('stats answers GET and HEAD only');
      const id = url.searchParams.get('incident');
      const res =
        id !== null
          ? jsonResponse({ incident: await incidentById(id) }, 200, HEADERS)
          : jsonResponse(await read(windowOf(url, deps.config)), 200, HEADERS);
      return req.method === 'HEAD' ? new Response(null, { status: 200, headers: res.headers }) : res;
    } catch (e) {
      const res = toErrorResponse(e);
      res.headers.set('cache-control', 'no-store');
      res.headers.set('access-control-allow-origin', '*');
      if (res.status === 405)
        res.headers.set(
          'allow',
          isMutesPath(new URL(req.url).pathname) ? 'GET, HEAD, POST, DELETE' : 'GET, HEAD',
        );
      return res;
    }
  };
  return Object.assign(handler, {
    async warm() {
      // The largest window covers every closed bucket a smaller one needs; the default one adds its
      // second-level and minute buckets. Through the handler, so the JSON response path is compiled too.
      for (const ms of [deps.config.maxWindowMs, deps.config.defaultWindowMs]) {
        const res = await handler(new Request(`http://stats/?window=${ms / 1000}s`));
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`stats warm-up answered ${res.status}`);
      }
    },
  });
}

const STORAGE_INFO_TTL_MS = 10_000;
const QUEUE_STATS_TTL_MS = 1_000;
const TEMPLATE_VIEW_TTL_MS = 1_000;

function memoizeQueueStats(
  broker: Pick<Broker, 'queueStats'>,
  ttlMs: number,
  now: () => number,
): Pick<Broker, 'queueStats'> {
  const perQueue = new Map<string, () => ReturnType<Broker['queueStats']>>();
  return {
    queueStats(queue) {
      let read = perQueue.get(queue);
      if (!read) {
        read = memoize(() => broker.queueStats(queue), ttlMs, now);
        perQueue.set(queue, read);
      }
      return read();
    },
  };
}

/** The last successful result of `fn` for `ttlMs`; failures are not kept. */
function memoize<T>(fn: () => Promise<T>, ttlMs: number, now: () => number): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (last && now() - last.at < ttlMs) return last.value;
    const value = fn();
    const entry = { at: now(), value };
    last = entry;
    value.catch(() => {
      if (last === entry) last = undefined;
    });
    return value;
  };
}

function windowOf(url: URL, cfg: StatsConfig): number {
  const raw = url.searchParams.get('window');
  if (raw === null || raw === '') return cfg.defaultWindowMs;
  const ms = parseWindow(raw);
  if (ms === undefined || ms < 60_000 || ms > cfg.maxWindowMs) {
    throw new BadRequestError(
      `window must be a duration from 1m to ${cfg.maxWindowMs / 3_600_000}h, like 15m or 24h`,
      {
        window: raw,
      },
    );
  }
  return ms;
}

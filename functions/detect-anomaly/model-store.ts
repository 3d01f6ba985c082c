// Model lifecycle across stateless replicas: pick up a new version from the store, detect a corrupt or
// foreign blob, and train (one replica per source, under a lock in the store) when due.
import { acquireLock } from '../../core/kv/lock.js';
import type { KV } from '../../core/kv/types.js';
import type { Logger } from '../../core/log.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import { contaminationFor, type DetectConfig } from './config.js';
import type { LoadedModel } from './detect.js';
import { DIMS, FEATURE_NAMES } from './features.js';
import { fitModel } from './fit.js';
import { decodeForest, encodeForest, fromBase64, toBase64 } from './forest-codec.js';
import { adaptiveScorer } from './forest-scorer.js';
import { decodeRows } from './state.js';

export interface CachedModel {
  version: number;
  model?: LoadedModel;
  /** Why the stored version could not be used (corrupt, foreign): triggers a retrain. */
  error?: string;
}

/** Per-replica cache, owned by one handler instance (never module-level). */
export type ModelCache = Map<string, CachedModel>;

const FEATURES_JSON = JSON.stringify(FEATURE_NAMES);

/** Loads every model whose stored version differs from the cached one (one mget for all of them). */
export async function refreshModels(
  kv: KV,
  cache: ModelCache,
  metas: Map<string, Record<string, string>>,
  logger: Logger,
): Promise<void> {
  const stale: string[] = [];
  for (const [source, meta] of metas) {
    const version = Number(meta.version) || 0;
    if (version === 0) cache.delete(source);
    else if (cache.get(source)?.version !== version) stale.push(source);
  }
  if (!stale.length) return;
  const blobs = await kv.mget(stale.map(MODEL_KEYS.model));
  stale.forEach((source, i) => {
    const meta = metas.get(source)!;
    const version = Number(meta.version);
    try {
      cache.set(source, { version, model: loadModel(blobs[i], meta, version) });
    } catch (e) {
      const error = `model v${version} unusable: ${(e as Error).message}`;
      logger.error('ignoring stored model', { source, version, error });
      cache.set(source, { version, error });
    }
  });
}

function loadModel(blob: string | null, meta: Record<string, string>, version: number): LoadedModel {
  if (!blob) throw new Error('model blob missing');
  if (meta.features !== FEATURES_JSON) throw new Error('model was trained on other features');
  const forest = decodeForest(fromBase64(blob));
  if (forest.dims !== DIMS) throw new Error(`model has ${forest.dims} features, expected ${DIMS}`);
  const threshold = Number(meta.threshold);
  const center = JSON.parse(meta.center ?? 'null') as number[];
  const scale = JSON.parse(meta.scale ?? 'null') as number[];
  if (!Number.isFinite(threshold) || center?.length !== DIMS || scale?.length !== DIMS) {
    throw new Error('model meta incomplete');
  }
  return { forest, scorer: adaptiveScorer(forest), version, threshold, center, scale };
}

/** Why a source should (re)train now, or undefined. Pure. */
export function trainingDue(
  meta: Record<string, string>,
  cached: CachedModel | undefined,
  cfg: DetectConfig,
  now: number,
): string | undefined {
  const collected = Number(meta.collected) || 0;
  if (collected < cfg.minTraining) return undefined;
  const version = Number(meta.version) || 0;
  if (version === 0) return 'first model';
  if (cached?.error) return 'stored model unusable';
  if (now - (Number(meta.trainedAt) || 0) >= cfg.retrainIntervalMs) return 'schedule';
  if ((Number(meta.sinceTrain) || 0) >= newDataDue(version, cfg.retrainAfter)) return 'new data';
  const scored = Number(meta.scored) || 0;
  const flagged = Number(meta.flagged) || 0;
  const c = Number(meta.contamination) || cfg.contamination;
  if (
    scored >= driftDue(Number(meta.driftStreak) || 0, cfg.driftMinScored) &&
    flagged / scored > cfg.driftFactor * c
  )
    return 'drift';
  return undefined;
}

/**
 * Scored events after which drift retrains a model that `streak` drift retrains in a row made:
 * DRIFT_MIN_SCORED, doubling with each up to 64x. A stream the retrained models keep flagging (a few
 * lines repeated over and over did it in the bench) retrained every 5,000 events, 4 times a second at
 * half of 100k lines/s, each a reservoir read and a forest fit; a model after another reason starts again.
 */
export function driftDue(streak: number, driftMinScored: number): number {
  return driftMinScored * 2 ** Math.min(Math.max(streak, 0), 6);
}

/**
 * Events after which version `version` is retrained for new data: RETRAIN_AFTER, doubling with each
 * version up to 64x. Early models are trained on a young stream and improve quickly with more of it;
 * later ones gain little, and at 100k lines/s a fixed 16,000 would mean a retrain every 0.16 s (measured:
 * a third of detect-anomaly's CPU in a 100,000-line bench run). The hourly schedule and drift still apply.
 */
export function newDataDue(version: number, retrainAfter: number): number {
  return retrainAfter * 2 ** Math.min(Math.max(version - 1, 0), 6);
}

/** Trains and stores a new version if this replica gets the lock. Returns the new version, if any. */
export async function trainSource(
  kv: KV,
  source: string,
  meta: Record<string, string>,
  cfg: DetectConfig,
  deps: { logger: Logger; now: number; reason: string; cache?: ModelCache },
): Promise<number | undefined> {
  const lock = await acquireLock(kv, MODEL_KEYS.lock(source), { ttlMs: cfg.lockTtlMs });
  if (!lock) return undefined;
  try {
    // The decision was made on the meta read before this batch; another request or replica may have
    // trained since and released the lock. Training again would store a second model under the same
    // version number (seen with 4 concurrent requests on one replica), so re-check under the lock.
    const current = await kv.hgetall(MODEL_KEYS.meta(source));
    if ((Number(current.version) || 0) !== (Number(meta.version) || 0)) return undefined;
    const rows = decodeRows(await kv.lrange(MODEL_KEYS.reservoir(source), 0, cfg.reservoirCap - 1));
    const n = rows.length / DIMS;
    if (n < Math.min(cfg.minTraining, cfg.reservoirCap) / 2) return undefined;
    const started = performance.now();
    const version = (Number(meta.version) || 0) + 1;
    const contamination = contaminationFor(cfg, source);
    const model = fitModel(rows, cfg, { contamination, version });
    const { forest, threshold, center, scale } = model;
    const blob = toBase64(encodeForest(forest));
    const trainMs = Math.round(performance.now() - started);
    const metaKey = MODEL_KEYS.meta(source);
    await kv.apply([
      { op: 'set', key: MODEL_KEYS.model(source), value: blob },
      {
        op: 'hset',
        key: metaKey,
        fields: {
          version: String(version),
          trainedAt: String(deps.now),
          trainingSize: String(n),
          threshold: String(threshold),
          contamination: String(contamination),
          features: FEATURES_JSON,
          trees: String(cfg.trees),
          sampleSize: String(forest.sampleSize),
          center: JSON.stringify(center),
          scale: JSON.stringify(scale),
          trainMs: String(trainMs),
          modelBytes: String(Math.floor((blob.length * 3) / 4)),
          reason: deps.reason,
          driftStreak: String(deps.reason === 'drift' ? (Number(current.driftStreak) || 0) + 1 : 0),
          sinceTrain: '0',
          scored: '0',
          flagged: '0',
          lastError: '',
        },
      },
    ]);
    // The trainer keeps what it just built: no reload (mget of the blob, decode, layout) on its next batch.
    deps.cache?.set(source, { version, model });
    deps.logger.info('model trained', {
      source,
      version,
      trainingSize: n,
      threshold,
      trainMs,
      reason: deps.reason,
    });
    return version;
  } catch (e) {
    deps.logger.error('training failed', { source, err: (e as Error).message });
    return undefined;
  } finally {
    await lock.release();
  }
}

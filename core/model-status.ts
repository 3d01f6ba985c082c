// Key layout of detect-anomaly's model state in the KV store, and a pure reader for it, so the stats
// function can show model, threshold, training size and version without importing detect-anomaly.
// OWNER: detect-anomaly (issue #4). Writers live in functions/detect-anomaly/state.ts.

import { slotTag } from './kv/slots.js';
import type { KV } from './kv/types.js';

export const MODEL_KEYS = {
  /** Hash: source -> first-seen epoch ms. Capped at DetectConfig.maxSources. */
  sources: 'detect:sources',
  /** Hash: version, trainedAt, trainingSize, threshold, contamination, features (JSON), ... */
  meta: (source: string) => `detect:meta:${slotTag(source)}`,
  /** String: base64 of the binary forest (forest-codec.ts). */
  model: (source: string) => `detect:model:${slotTag(source)}`,
  /** Training lock (SET NX PX), so one replica trains per source. */
  lock: (source: string) => `detect:lock:${slotTag(source)}`,
  /** List of recent feature vectors (comma-separated numbers), capped. */
  reservoir: (source: string) => `detect:res:${slotTag(source)}`,
  /** Hash: source -> templates+endpoints tracked in its norms, for the cap over all sources. */
  tracked: 'detect:tracked',
  /** Hash of per-source counters: template/endpoint counts, latency/length sums. Capped fields. */
  norms: (source: string) => `detect:norm:${slotTag(source)}`,
  /** Hash {n, err} per source per time window, with a TTL. */
  window: (source: string, bucket: number) => `detect:win:${slotTag(source)}:${bucket}`,
} as const;

export interface ModelStatus {
  source: string;
  /** 'model' once a forest is trained and loadable, else 'rules'. */
  detector: 'model' | 'rules';
  version: number;
  trainedAt?: number;
  trainingSize: number;
  threshold?: number;
  contamination?: number;
  trees?: number;
  sampleSize?: number;
  features: string[];
  /** Feature vectors collected into the reservoir since the source was first seen. */
  collected: number;
  /** Events scored by the current model, and how many it flagged (drift signal). */
  scored: number;
  flagged: number;
  /** Last training or model-load problem, if any. */
  lastError?: string;
}

/** Decodes one meta hash (pure). */
export function decodeModelMeta(source: string, h: Record<string, string>): ModelStatus {
  const num = (k: string): number | undefined =>
    h[k] !== undefined && h[k] !== '' ? Number(h[k]) : undefined;
  let features: string[] = [];
  try {
    const f = h.features ? JSON.parse(h.features) : [];
    if (Array.isArray(f)) features = f.map(String);
  } catch {
    features = [];
  }
  const version = num('version') ?? 0;
  return {
    source,
    detector: version > 0 && !h.lastError ? 'model' : 'rules',
    version,
    trainedAt: num('trainedAt'),
    trainingSize: num('trainingSize') ?? 0,
    threshold: num('threshold'),
    contamination: num('contamination'),
    trees: num('trees'),
    sampleSize: num('sampleSize'),
    features,
    collected: num('collected') ?? 0,
    scored: num('scored') ?? 0,
    flagged: num('flagged') ?? 0,
    ...(h.lastError ? { lastError: h.lastError } : {}),
  };
}

/** Model status of every source detect-anomaly has seen (two round trips). */
export async function readModelStatus(kv: KV): Promise<ModelStatus[]> {
  const sources = Object.keys(await kv.hgetall(MODEL_KEYS.sources)).sort();
  if (!sources.length) return [];
  const metas = await kv.hgetallMany(sources.map(MODEL_KEYS.meta));
  return sources.map((s, i) => decodeModelMeta(s, metas[i] ?? {}));
}

import { describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../core/kv/memory.js';
import { silentLogger } from '../../core/log.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import { seededRandom } from '../../core/random.js';
import { DEFAULT_DETECT } from './config.js';
import { DIMS } from './features.js';
import { driftDue, newDataDue, trainingDue, trainSource } from './model-store.js';
import { encodeRow } from './state.js';

describe('trainingDue', () => {
  const cfg = { ...DEFAULT_DETECT, retrainAfter: 1000, minTraining: 10 };
  const meta = (version: number, sinceTrain: number) => ({
    collected: '100',
    version: String(version),
    trainedAt: '0',
    sinceTrain: String(sinceTrain),
  });

  it('trains the first model once enough vectors are collected', () => {
    expect(trainingDue({ collected: '9' }, undefined, cfg, 1)).toBeUndefined();
    expect(trainingDue({ collected: '10' }, undefined, cfg, 1)).toBe('first model');
  });

  it('retrains for new data after RETRAIN_AFTER events, doubling per version up to 64x', () => {
    expect([1, 2, 3, 7, 8, 20].map((v) => newDataDue(v, 1000))).toEqual([
      1000, 2000, 4000, 64_000, 64_000, 64_000,
    ]);
    expect(trainingDue(meta(1, 999), undefined, cfg, 1)).toBeUndefined();
    expect(trainingDue(meta(1, 1000), undefined, cfg, 1)).toBe('new data');
    expect(trainingDue(meta(3, 3999), undefined, cfg, 1)).toBeUndefined();
    expect(trainingDue(meta(3, 4000), undefined, cfg, 1)).toBe('new data');
  });

  it('still retrains on the schedule and on drift', () => {
    expect(trainingDue(meta(9, 0), undefined, cfg, cfg.retrainIntervalMs)).toBe('schedule');
    const drifting = { ...meta(9, 0), scored: '10000', flagged: '2000', contamination: '0.01' };
    expect(trainingDue(drifting, undefined, cfg, 1)).toBe('drift');
  });

  it('waits twice as long for drift after each drift retrain in a row, up to 64x', () => {
    expect([0, 1, 2, 6, 9].map((s) => driftDue(s, 5000))).toEqual([5000, 10_000, 20_000, 320_000, 320_000]);
    const drifting = (scored: number, driftStreak: number) => ({
      ...meta(9, 0),
      scored: String(scored),
      flagged: String(scored / 5),
      contamination: '0.01',
      driftStreak: String(driftStreak),
    });
    expect(trainingDue(drifting(5000, 0), undefined, cfg, 1)).toBe('drift');
    expect(trainingDue(drifting(19_999, 2), undefined, cfg, 1)).toBeUndefined();
    expect(trainingDue(drifting(20_000, 2), undefined, cfg, 1)).toBe('drift');
  });
});

describe('trainSource', () => {
  it('does not train again on a stale decision once another trainer stored the next version', async () => {
    const kv = await createMemoryKv();
    const rand = seededRandom(5);
    const rows = Array.from({ length: 300 }, () => encodeRow(Array.from({ length: DIMS }, rand), 0));
    await kv.apply([
      { op: 'lpush', key: MODEL_KEYS.reservoir('s'), values: rows, cap: 4096 },
      { op: 'hset', key: MODEL_KEYS.meta('s'), fields: { version: '1' } },
    ]);
    const cfg = { ...DEFAULT_DETECT, minTraining: 100 };
    // Two requests both judged "due" on the same meta (version 1); they train one after the other.
    const stale = { version: '1' };
    const deps = { logger: silentLogger, now: 1, reason: 'new data' };
    expect(await trainSource(kv, 's', stale, cfg, deps)).toBe(2);
    expect(await trainSource(kv, 's', stale, cfg, deps)).toBeUndefined();
    expect((await kv.hgetall(MODEL_KEYS.meta('s'))).version).toBe('2');
    await kv.close();
  });

  it('counts drift retrains in a row, and starts again after another reason', async () => {
    const kv = await createMemoryKv();
    const rand = seededRandom(6);
    const rows = Array.from({ length: 300 }, () => encodeRow(Array.from({ length: DIMS }, rand), 0));
    await kv.apply([{ op: 'lpush', key: MODEL_KEYS.reservoir('s'), values: rows, cap: 4096 }]);
    const cfg = { ...DEFAULT_DETECT, minTraining: 100 };
    const streaks: string[] = [];
    for (const reason of ['first model', 'drift', 'drift', 'new data', 'drift']) {
      const meta = await kv.hgetall(MODEL_KEYS.meta('s'));
      await trainSource(kv, 's', meta, cfg, { logger: silentLogger, now: 1, reason });
      streaks.push((await kv.hgetall(MODEL_KEYS.meta('s'))).driftStreak);
    }
    expect(streaks).toEqual(['0', '1', '2', '0', '1']);
    await kv.close();
  });
});

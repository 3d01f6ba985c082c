import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECT } from './config.js';
import { newDataDue, trainingDue } from './model-store.js';

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
});

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/env.js';
import { loadProducerConfig, scheduledSimulation } from './config.js';

const base = { SECRETS_DIR: '/nonexistent' };

describe('loadProducerConfig', () => {
  it('has defaults', () => {
    const c = loadProducerConfig(base);
    expect(c).toMatchObject({
      topic: 'logs.raw',
      batchLines: 6000,
      simulateScheduleMs: 30_000,
      simulateSystems: ['web', 'api', 'db'],
    });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('bounds the OTLP and Loki records and their attributes', () => {
    expect(loadProducerConfig(base)).toMatchObject({
      ingestMaxRecords: 100_000,
      attributes: { maxAttributes: 64, maxNameBytes: 1024, maxValueBytes: 32 * 1024 },
    });
    expect(() => loadProducerConfig({ ...base, INGEST_MAX_RECORDS: '0', MAX_ATTRIBUTES: 'many' })).toThrow(
      /INGEST_MAX_RECORDS[\s\S]*MAX_ATTRIBUTES/,
    );
  });
  it('reads how long a small batch waits to share a message, up to 10 s', () => {
    expect(loadProducerConfig(base).batchLingerMs).toBe(50);
    expect(loadProducerConfig({ ...base, BATCH_LINGER: '0' }).batchLingerMs).toBe(0);
    expect(loadProducerConfig({ ...base, BATCH_LINGER: '2s' }).batchLingerMs).toBe(2000);
    expect(() => loadProducerConfig({ ...base, BATCH_LINGER: '11s' })).toThrow(/BATCH_LINGER.*at most 10s/);
    expect(() => loadProducerConfig({ ...base, BATCH_LINGER: 'soon' })).toThrow(/BATCH_LINGER/);
  });
  it('switches the schedule off', () => {
    expect(loadProducerConfig({ ...base, SIMULATE_SCHEDULE: 'off' }).simulateScheduleMs).toBe(0);
    expect(loadProducerConfig({ ...base, SIMULATE_SCHEDULE: '2m' }).simulateScheduleMs).toBe(120_000);
  });
  it('lists every bad key at once', () => {
    try {
      loadProducerConfig({
        ...base,
        BATCH_LINES: '0',
        SIMULATE_SCHEDULE: 'soon',
        SIMULATE_SYSTEMS: 'web,ftp',
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toHaveLength(3);
    }
  });
});

describe('scheduledSimulation', () => {
  it('varies the seed per tick and rotates scenarios every Nth tick', () => {
    const c = loadProducerConfig({
      ...base,
      SIMULATE_SCENARIO_EVERY: '3',
      SIMULATE_SCENARIOS: 'error-burst,silence',
      SIMULATE_LINES: '100',
    });
    const ticks = Array.from({ length: 9 }, (_, i) => scheduledSimulation(c, i));
    expect(new Set(ticks.map((t) => t.seed)).size).toBe(9);
    expect(ticks.map((t) => t.scenarios?.[0]?.name ?? null)).toEqual([
      null,
      null,
      'error-burst',
      null,
      null,
      'silence',
      null,
      null,
      'error-burst',
    ]);
    expect(ticks[0]).toMatchObject({ lines: 100, rate: 100 });
    expect(ticks[0].startTime).toBeUndefined();
  });
  it('can run without scenarios', () => {
    const c = loadProducerConfig({ ...base, SIMULATE_SCENARIOS: 'none', SIMULATE_SCENARIO_EVERY: '1' });
    expect(scheduledSimulation(c, 0).scenarios).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/env.js';
import { loadStatsConfig } from './config.js';

const base = { SECRETS_DIR: '/nonexistent' };

describe('loadStatsConfig', () => {
  it('has defaults', () => {
    const c = loadStatsConfig(base);
    expect(c).toMatchObject({
      defaultWindowMs: 15 * 60_000,
      maxWindowMs: 24 * 3_600_000,
      brokerTimeoutMs: 1000,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('reads STATS_BROKER_TIMEOUT', () => {
    expect(loadStatsConfig({ ...base, STATS_BROKER_TIMEOUT: '250ms' }).brokerTimeoutMs).toBe(250);
  });
  it('rejects a bad STATS_BROKER_TIMEOUT instead of falling back to 1 s', () => {
    expect(() => loadStatsConfig({ ...base, STATS_BROKER_TIMEOUT: 'soon' })).toThrow(ConfigError);
    expect(() => loadStatsConfig({ ...base, STATS_BROKER_TIMEOUT: 'soon' })).toThrow(/STATS_BROKER_TIMEOUT/);
  });
  it('lists a bad timeout with the other bad keys', () => {
    expect(() => loadStatsConfig({ ...base, STATS_BROKER_TIMEOUT: 'x', STATS_DEFAULT_WINDOW: 'y' })).toThrow(
      /STATS_DEFAULT_WINDOW[\s\S]*STATS_BROKER_TIMEOUT/,
    );
  });
});

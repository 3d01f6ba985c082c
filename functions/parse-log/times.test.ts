import { describe, expect, it } from 'vitest';
import { encodeEventBatchBytes } from '../../core/event-batch.js';
import { decodeEventBatch } from '../../core/event-batch-read.js';
import { mixedLines } from '../../test/e2e/lines.js';
import { parseBatch, resolveLimits, TemplateMiner } from './pipeline.js';

const NOW = Date.UTC(2026, 11, 7, 13, 0, 0);

/** Lines of every kind the parser meets: the bench's mix, no time, bad times, repeats, far years. */
function lines(): string[] {
  return [
    ...mixedLines(3000, 11).lines,
    'no timestamp here at all',
    '2026-13-45T99:99:99Z impossible date',
    '2026-12-07T12:00:00.123456Z micro seconds',
    '2026-12-07T12:00:00.123456Z micro seconds',
    '{"ts": 1796648400.5, "msg": "epoch seconds with a fraction"}',
    '{"time": "+010000-01-01T00:00:00.000Z", "msg": "year ten thousand"}',
    '{"time": "1969-12-31T23:59:59.999Z", "msg": "before the epoch"}',
    'Dec  7 12:00:01 host app[1]: syslog without a year',
  ];
}

describe('parseBatch times', () => {
  it('gives each event its time as epoch ms that formats to its timestamp exactly, or NaN', () => {
    const input = lines();
    const times = new Float64Array(input.length);
    const miner = new TemplateMiner('t', resolveLimits());
    const events = parseBatch(
      input,
      undefined,
      { source: 't', limits: resolveLimits(), miner, now: NOW },
      times,
    );
    let known = 0;
    events.forEach((e, i) => {
      if (Number.isNaN(times[i])) return;
      known++;
      expect(Number.isInteger(times[i]), e.raw).toBe(true);
      expect(new Date(times[i]).toISOString(), e.raw).toBe(e.timestamp);
    });
    expect(known).toBeGreaterThan(input.length * 0.9);
  });

  it('lets the compact encoder skip reading timestamps back, with the same bytes', () => {
    const input = lines();
    const times = new Float64Array(input.length);
    const ctx = () => ({
      source: 't',
      limits: resolveLimits(),
      miner: new TemplateMiner('t', resolveLimits()),
      now: NOW,
    });
    const events = parseBatch(input, undefined, ctx(), times);
    const given = encodeEventBatchBytes(events, times);
    expect(given).toEqual(encodeEventBatchBytes(events));
    expect(decodeEventBatch(given).events.map((e) => e.timestamp)).toEqual(events.map((e) => e.timestamp));
  });

  it('leaves the time of a record whose protocol set it to the encoder', () => {
    const times = new Float64Array(2);
    const miner = new TemplateMiner('t', resolveLimits());
    const meta = [{ ts: Date.UTC(2026, 0, 1) }, null];
    const events = parseBatch(
      ['2026-12-07T12:00:00Z a', '2026-12-07T12:00:00Z b'],
      undefined,
      { source: 't', limits: resolveLimits(), miner, now: NOW, meta },
      times,
    );
    expect(events[0].timestamp).toBe('2026-01-01T00:00:00.000Z');
    expect(Number.isNaN(times[0])).toBe(true);
    expect(new Date(times[1]).toISOString()).toBe(events[1].timestamp);
  });
});

import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../core/event.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV } from '../../core/kv/types.js';
import { silentLogger } from '../../core/log.js';
import { DEFAULT_DETECT } from './config.js';
import { createDetector, type DeferredInput } from './detector.js';
import { NORMS_EPOCH_FIELD } from './norms-cache.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const NOW = T0 + 3_600_000;

/** `n` lines of two sources, a few windows apart, one in ten an error. */
function batch(n: number, from: number): LogEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const message = i % 10 === 0 ? `error: timeout after ${i} ms` : `served request ${i}`;
    return {
      v: 1,
      timestamp: new Date(from + i * 1_500).toISOString(),
      source: i % 3 ? 'web' : 'db',
      level: i % 10 === 0 ? 'error' : 'info',
      message,
      format: 'plain',
      templateId: i % 10 === 0 ? 'E' : 'R',
      template: i % 10 === 0 ? 'error: timeout after <*> ms' : 'served request <*>',
      params: [String(i)],
      raw: message,
    };
  });
}

const times = (events: LogEvent[]) => events.map((e) => Date.parse(e.timestamp));

/** The KV with its state reads and the batch's decode logged in order (the store itself is real). */
function logged(kv: KV, log: string[]): KV {
  return new Proxy(kv, {
    get(target, p) {
      const v = Reflect.get(target, p);
      if (p === 'hgetallMany')
        return (keys: string[]) => {
          log.push('state');
          return target.hgetallMany(keys);
        };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** Every key detect-anomaly wrote, without what differs between replicas (epoch) and runs (training time). */
async function dump(kv: KV): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const k of (await kv.keys('detect:')).sort()) {
    const v = await kv.hgetall(k).catch(() => kv.lrange(k, 0, -1).catch(() => kv.get(k)));
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const { [NORMS_EPOCH_FIELD]: _epoch, trainMs: _ms, ...rest } = v;
      out[k] = rest;
    } else out[k] = v;
  }
  return out;
}

/** Two detectors on stores of their own: `a` given batches whole, `b` deferred, its reads logged. */
async function pair() {
  const eager = await createMemoryKv();
  const deferred = await createMemoryKv();
  const log: string[] = [];
  const a = createDetector({ kv: eager, config: DEFAULT_DETECT, logger: silentLogger });
  const b = createDetector({ kv: logged(deferred, log), config: DEFAULT_DETECT, logger: silentLogger });
  /** A read() of `events` that logs when it runs. */
  const reader = (events: LogEvent[]) => () => {
    log.push('read');
    return { events, times: times(events) };
  };
  return { eager, deferred, log, a, b, reader };
}

describe('a batch decoded once its state is read', () => {
  it('is read after its state, with no wait between, and scores and writes as the batch given whole', async () => {
    const { eager, deferred, log, a, b, reader } = await pair();
    for (let k = 0; k < 4; k++) {
      const events = batch(400, T0 + k * 600_000);
      const want = await a.process(events, times(events), NOW, `b${k}`);
      log.length = 0;
      const input: DeferredInput = {
        rows: { sources: events.map((e) => e.source), times: times(events) },
        read: reader(events),
      };
      const got = await b.processDeferred(input, NOW, `b${k}`);
      expect(log.at(-1)).toBe('read');
      expect(log.filter((x) => x === 'state').length).toBeGreaterThan(0);
      expect(got).toEqual(want);
    }
    expect(await dump(deferred)).toEqual(await dump(eager));
  });

  it('reads the state again when its rows named other windows than its events (a row the decode rejects)', async () => {
    const { eager, deferred, log, a, b, reader } = await pair();
    const events = batch(300, T0);
    const want = await a.process(events, times(events), NOW, 'b');
    // A rejected row three hours on would put the events' windows outside the 60 read before it.
    const rows = {
      sources: [...events.map((e) => e.source), 'web'],
      times: [...times(events), T0 + 3 * 3_600_000],
    };
    expect(await b.processDeferred({ rows, read: reader(events) }, NOW, 'b')).toEqual(want);
    expect(log.slice(log.indexOf('read'))).toContain('state');
    expect(await dump(deferred)).toEqual(await dump(eager));
  });

  it('writes nothing when its read throws, and the next batch goes on', async () => {
    const kv = await createMemoryKv();
    const d = createDetector({ kv, config: DEFAULT_DETECT, logger: silentLogger });
    const events = batch(50, T0);
    const rows = { sources: events.map((e) => e.source), times: times(events) };
    const broken = () => {
      throw new Error('cut short');
    };
    await expect(d.processDeferred({ rows, read: broken }, NOW, 'x')).rejects.toThrow('cut short');
    expect(await kv.keys('')).toEqual([]);
    const r = await d.processDeferred({ rows, read: () => ({ events, times: times(events) }) }, NOW, 'y');
    expect(r.applied).toBe(true);
  });
});

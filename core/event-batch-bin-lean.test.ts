import { describe, expect, it } from 'vitest';
import { base, randomEvents } from '../test/support/random-events.js';
import type { LogEvent } from './event.js';
import { encodeEventBatchBin } from './event-batch-bin.js';
import { decodeEventBatchBin, decodeEventBatchBinLean, releaseEvents } from './event-batch-bin-read.js';
import { EventBatchError } from './event-batch-read.js';
import { seededRandom } from './random.js';

const odd: LogEvent[] = [
  { ...base, fields: { n: -3, f: -0.5, t: true, none: null, s: 'GET' }, stack: 'x\n\ty', label: 'l' },
  { ...base, fields: { nested: { a: [1] } } as unknown as LogEvent['fields'] },
  { ...base, http: { status: 200, latency_ms: 12.5, method: 'GET', path: '/a', client_ip: '10.0.0.1' } },
  { ...base, timestamp: 'not a time', timestampOriginal: 'yesterday', source: '' },
  { ...base, params: ['ab', 'xyz', 'uvw', '\ud800'] },
  { ...base, params: ['', 'not in the raw line at all'] },
  { ...base, raw: `${'x'.repeat(70_000)} ${base.raw}` },
];

/** The first of the longest params, alone: all that scoring reads of them (detect-anomaly's keysOf). */
const longest = (params: string[]) =>
  params.length ? [params.reduce((best, p) => (p.length > best.length ? p : best))] : [];

describe('lean decode of a binary batch', () => {
  it('leaves out only what complete() gives back, and judges rows as the full decode does', () => {
    for (const events of [randomEvents(500, 1), randomEvents(500, 2), odd]) {
      const body = encodeEventBatchBin(events);
      const full = decodeEventBatchBin(body);
      const lean = decodeEventBatchBinLean(body);
      expect(lean.rejected).toBe(full.rejected);
      expect(lean.times).toEqual(full.times);
      expect(lean.events).toHaveLength(full.events.length);
      lean.events.forEach((e, k) => {
        const f = full.events[k];
        expect(e.timestampOriginal).toBeUndefined();
        // A time the batch carries as a number is in `times` alone until the event is made whole.
        expect(e.timestamp).toBe(Number.isNaN(lean.times[k]) ? f.timestamp : '');
        expect(e.http?.client_ip).toBeUndefined();
        expect(e.params).toEqual(longest(f.params));
        const left = { params: f.params, timestampOriginal: f.timestampOriginal, http: f.http };
        expect({ ...e, timestamp: f.timestamp, ...left }).toEqual(f);
        expect(JSON.stringify(lean.complete(k))).toBe(JSON.stringify(f));
      });
    }
  });

  it('rejects the same rows, for the same reasons, and refuses the same bodies', () => {
    const body = encodeEventBatchBin([...randomEvents(200, 4), ...odd]);
    const r = seededRandom(11);
    for (let i = 0; i < 2000; i++) {
      const bad = body.slice();
      for (let k = 0; k < 3; k++) bad[Math.floor(r() * bad.length)] = Math.floor(r() * 256);
      let full: ReturnType<typeof decodeEventBatchBin> | Error;
      try {
        full = decodeEventBatchBin(bad);
      } catch (e) {
        full = e as Error;
      }
      if (full instanceof Error) {
        expect(full).toBeInstanceOf(EventBatchError);
        expect(() => decodeEventBatchBinLean(bad)).toThrow(full.message);
        continue;
      }
      const lean = decodeEventBatchBinLean(bad);
      expect([lean.rejected, lean.reasons]).toEqual([full.rejected, full.reasons]);
      expect(lean.events.map((_, k) => lean.complete(k))).toEqual(full.events);
    }
  });

  it('overwrites the events it is given, batch after batch, as if each were new; whole events stay', () => {
    const reuse: LogEvent[] = [];
    const batches = [randomEvents(300, 5), [...odd, ...randomEvents(400, 6)], randomEvents(200, 7)];
    const whole: { got: LogEvent; want: LogEvent }[] = [];
    for (const events of batches) {
      const body = encodeEventBatchBin(events);
      const lean = decodeEventBatchBinLean(body, reuse);
      const fresh = decodeEventBatchBinLean(body);
      expect(JSON.stringify(lean.events)).toBe(JSON.stringify(fresh.events));
      expect(lean.events).toEqual(fresh.events);
      expect(lean.events.every((e, k) => e === reuse[k])).toBe(true);
      for (const k of [0, 5, lean.events.length - 1])
        whole.push({ got: lean.complete(k), want: fresh.complete(k) });
      // Released as the detector releases them (the events it overwrote, one more for a rejected last
      // row), the kept events hold none of the batch's texts, and the next batch decodes as before.
      releaseEvents(reuse, lean.events.length + 1);
      for (const e of reuse) {
        expect([e.raw, e.message, e.params, e.http?.path ?? '']).toEqual(['', '', [], '']);
        expect([e.timestampOriginal, e.fields, e.stack, e.problems, e.http?.client_ip]).toEqual(
          Array(5).fill(undefined),
        );
      }
    }
    expect(reuse).toHaveLength(407);
    // Events made whole are new: later batches overwriting the kept ones leave them as they were.
    for (const { got, want } of whole) expect(got).toEqual(want);
  });
});

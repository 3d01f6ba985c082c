import { describe, expect, it } from 'vitest';
import { base, randomEvents } from '../test/support/random-events.js';
import { ByteReader, ByteWriter } from './byte-codec.js';
import type { LogEvent } from './event.js';
import { acceptsEventBatch, EVENT_BATCH_TYPE, encodeEventBatchBytes } from './event-batch.js';
import { EVENT_BATCH_BIN_TYPE, encodeEventBatchBin } from './event-batch-bin.js';
import { decodeEventBatchBin, skimEventBatchBin } from './event-batch-bin-read.js';
import { decodeEventBatch, EventBatchError } from './event-batch-read.js';
import { parseEventTime } from './event-time.js';
import { seededRandom } from './random.js';

describe('binary event batch', () => {
  it('round-trips every field of a varied batch, in order, as the JSON form does', () => {
    for (const seed of [1, 2, 3]) {
      const events = randomEvents(500, seed);
      const got = decodeEventBatchBin(encodeEventBatchBin(events));
      expect(got.rejected).toBe(0);
      expect(got.events).toEqual(events);
      const json = decodeEventBatch(encodeEventBatchBytes(events));
      expect(got.events).toEqual(json.events);
      expect(got.times).toEqual(json.times);
      expect(got.events.map((e) => JSON.stringify(e))).toEqual(json.events.map((e) => JSON.stringify(e)));
    }
    expect(decodeEventBatchBin(encodeEventBatchBin([])).events).toEqual([]);
  });

  it('carries what UTF-8 cannot (lone surrogates), odd numbers and nested field values', () => {
    const events: LogEvent[] = [
      { ...base, raw: 'lone \ud800 surrogate', message: 'lone \ud800 surrogate' },
      { ...base, source: 'src \udc00', params: ['\ud800', 'x'], template: 'tpl \ud800' },
      { ...base, http: { status: 200, latency_ms: 12.5, bytes: 2 ** 60, method: 'GET' } },
      { ...base, fields: { n: -3, f: -0.5, big: 2 ** 60, z: -0, t: true, no: false, none: null, s: 'GET' } },
      // A JSON line's nested value is not in the schema's field types: the row's extra goes as JSON.
      { ...base, fields: { nested: { a: [1, 2] } } as unknown as LogEvent['fields'], label: 'l' },
      { ...base, stack: 'x\n\tat y', problems: ['truncated', 'bad_json'], label: '' },
      { ...base, timestamp: 'not a time', timestampOriginal: '' },
      { ...base, timestamp: '0001-01-01T00:00:00.000Z' },
    ];
    const got = decodeEventBatchBin(encodeEventBatchBin(events));
    expect(got.rejected).toBe(0);
    expect(got.events).toEqual(events);
    expect(Object.is(got.events[3].fields!.z, -0)).toBe(true);
    expect(got.events.map((e) => JSON.stringify(e))).toEqual(
      decodeEventBatch(encodeEventBatchBytes(events)).events.map((e) => JSON.stringify(e)),
    );
  });

  it('drops HTTP numbers a reader would not score, as the other forms do', () => {
    const e = { ...base, http: { status: -1, latency_ms: Number.NaN, bytes: Number.POSITIVE_INFINITY } };
    const [back] = decodeEventBatchBin(encodeEventBatchBin([e])).events;
    expect(back.http).toEqual({});
    expect(decodeEventBatch(encodeEventBatchBytes([e])).events[0].http).toEqual({});
  });

  it('writes long raw lines in several runs and a huge one alone', () => {
    const events = Array.from({ length: 300 }, (_, i) => ({
      ...base,
      raw: `${'é'.repeat(200 + i)} ${base.raw}`,
    }));
    events[100].raw = `${'x'.repeat(200_000)}${base.message}`;
    const got = decodeEventBatchBin(encodeEventBatchBin(events));
    expect(got.events.map((e) => e.raw)).toEqual(events.map((e) => e.raw));
    expect(got.events[100].message).toBe(base.message);
  });

  it('is a third smaller than the JSON form for a typical batch', () => {
    const events = randomEvents(1000, 9);
    expect(encodeEventBatchBin(events).length).toBeLessThan(encodeEventBatchBytes(events).length * 0.8);
  });

  it('rejects a row with a bad value and keeps its neighbours', () => {
    const events = [base, { ...base, level: 'loud' as LogEvent['level'] }, base];
    const got = decodeEventBatchBin(encodeEventBatchBin(events));
    expect(got.events).toHaveLength(2);
    expect(got.rejected).toBe(1);
    expect(got.reasons).toEqual(['event 1: bad level']);
  });

  it('refuses, with EventBatchError only, a body cut short, with bytes after it, or changed at random', () => {
    const body = encodeEventBatchBin(randomEvents(200, 4));
    for (let cut = 0; cut < body.length; cut += 7)
      expect(() => decodeEventBatchBin(body.subarray(0, cut))).toThrow(EventBatchError);
    expect(() => decodeEventBatchBin(new Uint8Array([...body, 0]))).toThrow(/1 bytes after the last row/);
    expect(() => decodeEventBatchBin(new TextEncoder().encode('{"v":2}'))).toThrow(/not a binary/);
    const r = seededRandom(7);
    for (let i = 0; i < 2000; i++) {
      const bad = body.slice();
      for (let k = 0; k < 3; k++) bad[Math.floor(r() * bad.length)] = Math.floor(r() * 256);
      try {
        const got = decodeEventBatchBin(bad);
        expect(got.events.length + got.rejected).toBe(200);
      } catch (e) {
        expect(e).toBeInstanceOf(EventBatchError);
      }
    }
  });

  it('is chosen by Accept, the JSON form still by its own type', () => {
    const accept = `${EVENT_BATCH_BIN_TYPE}, ${EVENT_BATCH_TYPE};q=0.9, */*;q=0.5`;
    expect(acceptsEventBatch(accept, EVENT_BATCH_BIN_TYPE)).toBe(true);
    expect(acceptsEventBatch(accept)).toBe(true);
    expect(acceptsEventBatch(`${EVENT_BATCH_TYPE}, */*;q=0.5`, EVENT_BATCH_BIN_TYPE)).toBe(false);
  });
});

describe('skimming a binary batch', () => {
  /** Each decoded row's source and time as the skim must give them (decode leaves a text time unparsed). */
  const expected = (events: LogEvent[], times: number[]) => ({
    sources: events.map((e) => e.source),
    times: times.map((t, i) => (Number.isNaN(t) ? parseEventTime(events[i].timestamp) : t)),
  });

  it("gives every row's source and time as the decode does, fields, HTTP and text times included", () => {
    for (const seed of [1, 2, 3]) {
      const body = encodeEventBatchBin(randomEvents(500, seed));
      const d = decodeEventBatchBin(body);
      expect(skimEventBatchBin(body)).toEqual(expected(d.events, d.times));
    }
    const odd: LogEvent[] = [
      { ...base, fields: { n: -3, f: -0.5, big: 2 ** 60, t: true, none: null, s: 'GET' }, stack: 'x\n\ty' },
      { ...base, fields: { nested: { a: [1] } } as unknown as LogEvent['fields'], label: 'l' },
      { ...base, http: { status: 200, latency_ms: 12.5, bytes: 2 ** 60, method: 'GET', path: '/a' } },
      { ...base, timestamp: 'not a time', source: '' },
      { ...base, timestamp: '0001-01-01T00:00:00.000Z', params: ['a', 'b', '\ud800'] },
      { ...base, raw: `${'x'.repeat(70_000)} ${base.raw}` },
    ];
    const body = encodeEventBatchBin(odd);
    const d = decodeEventBatchBin(body);
    expect(d.rejected).toBe(0);
    expect(skimEventBatchBin(body)).toEqual(expected(d.events, d.times));
    expect(skimEventBatchBin(encodeEventBatchBin([]))).toEqual({ sources: [], times: [] });
  });

  it('lists a row the decode rejects, and refuses with EventBatchError only what ends early', () => {
    const body = encodeEventBatchBin([base, { ...base, level: 'loud' as LogEvent['level'] }, base]);
    expect(skimEventBatchBin(body).sources).toEqual([base.source, base.source, base.source]);
    const whole = encodeEventBatchBin(randomEvents(200, 4));
    for (let cut = 0; cut < whole.length; cut += 7)
      expect(() => skimEventBatchBin(whole.subarray(0, cut))).toThrow(EventBatchError);
    expect(() => skimEventBatchBin(new Uint8Array([...whole, 0]))).toThrow(/1 bytes after the last row/);
    const r = seededRandom(8);
    for (let i = 0; i < 2000; i++) {
      const bad = whole.slice();
      for (let k = 0; k < 3; k++) bad[Math.floor(r() * bad.length)] = Math.floor(r() * 256);
      try {
        expect(skimEventBatchBin(bad).times).toHaveLength(200);
      } catch (e) {
        expect(e).toBeInstanceOf(EventBatchError);
      }
    }
  });
});

describe('varints and string runs', () => {
  it('round-trip integers of every width and sign, floats and strings', () => {
    const w = new ByteWriter(1);
    const ints = [0, 1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1];
    for (const n of ints) w.uint(n);
    for (const n of [0, -1, 1, -(2 ** 40), 2 ** 40]) w.int(n);
    w.f64(Math.PI);
    const strings = ['', 'a', 'ü ✓ 😀', 'x'.repeat(40_000), 'lone \udbff', '\udc00 tail'];
    w.strings(strings);
    const r = new ByteReader(w.done());
    expect(ints.map(() => r.uint())).toEqual(ints);
    expect([0, 1, 2, 3, 4].map(() => r.int())).toEqual([0, -1, 1, -(2 ** 40), 2 ** 40]);
    expect(r.f64()).toBe(Math.PI);
    const at = r.at;
    expect(r.strings()).toEqual(strings);
    expect(r.at).toBe(w.at);
    r.at = at;
    expect(r.skipStrings()).toBe(strings.length);
    expect(r.at).toBe(w.at);
  });
});

describe('a time a Date cannot hold', () => {
  it('goes as text in the binary form; the JSON form rejects its row, not the batch', () => {
    // `times` is trusted by the encoders: here it says what a broken sender might.
    const times = Float64Array.from([Date.parse(base.timestamp), 9e15]);
    expect(decodeEventBatchBin(encodeEventBatchBin([base, base], times)).events).toEqual([base, base]);
    const got = decodeEventBatch(encodeEventBatchBytes([base, base], times));
    expect([got.events.length, got.rejected, got.reasons]).toEqual([1, 1, ['event 1: bad time']]);
  });
});

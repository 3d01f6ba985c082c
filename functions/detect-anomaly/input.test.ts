import { describe, expect, it } from 'vitest';
import { LEVELS, type LogEvent } from '../../core/event.js';
import { encodeEventBatch } from '../../core/event-batch.js';
import { encodeEventBatchBin } from '../../core/event-batch-bin.js';
import { decodeEventBatch } from '../../core/event-batch-read.js';
import { seededRandom } from '../../core/random.js';
import { completeDecoded, parseEventBatch, toEvent } from './input.js';

/** Events with every field odd or absent where the compact batch allows it. */
function oddEvents(n: number, seed: number): LogEvent[] {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const text = ['', ' ', 'x', 'ü ✓', '"q" \\', 'nul\u0000'];
  return Array.from({ length: n }, (_, i) => {
    const e: LogEvent = {
      v: 1,
      timestamp: pick([
        '2026-02-07T06:00:00.000Z',
        '2026-02-07T06:00:01.5Z',
        'yesterday',
        '',
        '2026-13-01T00:00:00.000Z',
        '1969-12-31T23:59:59.999Z',
        '+010000-01-01T00:00:00.000Z',
        '9999-12-31T23:59:59.999Z',
      ]),
      source: pick(['web', '', 'unknown']),
      level: pick(LEVELS),
      message: pick(text),
      format: pick(['json', '']),
      templateId: pick(['t1', '']),
      template: pick(['tpl <*>', '']),
      params: r() < 0.5 ? [] : [pick(text), String(i)],
      raw: pick(text),
    };
    if (r() < 0.3) e.timestampOriginal = '07/Feb/2026:06:00:00 +0000';
    if (r() < 0.2) e.service = 'api';
    if (r() < 0.5) {
      e.http = {};
      if (r() < 0.7) e.http.method = pick(['GET', '']);
      if (r() < 0.7) e.http.path = pick(['/a/1', '']);
      if (r() < 0.7) e.http.status = pick([200, 503, 0]);
      if (r() < 0.7) e.http.latency_ms = pick([0, 1.5, 30_000]);
      if (r() < 0.3) e.http.bytes = 12;
      if (r() < 0.3) e.http.user_agent = 'curl/8';
      if (r() < 0.3) e.http.client_ip = '10.0.0.1';
    }
    if (r() < 0.2) e.fields = { a: 1, b: null };
    if (r() < 0.2) e.problems = ['bad_json'];
    if (r() < 0.1) e.label = 'x';
    return e;
  });
}

describe('completeDecoded', () => {
  it('is toEvent on every event the compact batch decodes to', () => {
    const now = Date.UTC(2026, 1, 8);
    for (const seed of [1, 2, 3, 4]) {
      const text = encodeEventBatch(oddEvents(2000, seed));
      const viaToEvent = decodeEventBatch(text).events;
      const times1: number[] = [];
      const expected = viaToEvent.map((e) => toEvent(e, now, times1) ?? 'rejected');
      const mine = decodeEventBatch(text).events;
      const times2: number[] = [];
      const got = mine.map((e) => {
        const t = completeDecoded(e, now);
        if (Number.isNaN(t)) return 'rejected';
        times2.push(t);
        return e;
      });
      expect(got).toEqual(expected);
      expect(got.map((e) => JSON.stringify(e))).toEqual(expected.map((e) => JSON.stringify(e)));
      expect(times2).toEqual(times1);
      expect(expected.filter((e) => e === 'rejected').length).toBeGreaterThan(0);
      const parsed = parseEventBatch(text, now);
      expect(parsed.events).toEqual(expected.filter((e) => e !== 'rejected'));
      expect(parsed.times).toEqual(times1);
      // The binary form is decoded lean: each event made whole by the index it has among those kept.
      const { complete, rawBytes, ...bin } = parseEventBatch(
        encodeEventBatchBin(oddEvents(2000, seed)),
        now,
        true,
      );
      expect({ ...bin, events: bin.events.map((_, i) => complete!(i)) }).toEqual(parsed);
      // Each kept event's raw line where its bytes are given (rows rejected here, not by the decoder, too).
      expect(rawBytes!.at).toHaveLength(bin.events.length);
      const copied = rawBytes!.at.flatMap((at, i) => (at < 0 ? [] : [i]));
      expect(copied.length).toBeGreaterThan(bin.events.length / 4);
      for (const i of copied) {
        const raw = bin.events[i].raw;
        expect(
          new TextDecoder().decode(rawBytes!.body.subarray(rawBytes!.at[i], rawBytes!.at[i] + raw.length)),
        ).toBe(raw);
      }
    }
  });
});

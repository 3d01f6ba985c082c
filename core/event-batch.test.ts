import { describe, expect, it } from 'vitest';
import { LEVELS, type LogEvent } from './event.js';
import {
  acceptsEventBatch,
  decodeEventBatch,
  EVENT_BATCH_TYPE,
  EventBatchError,
  encodeEventBatch,
} from './event-batch.js';
import { seededRandom } from './random.js';

const base: LogEvent = {
  v: 1,
  timestamp: '2026-02-07T06:00:00.000Z',
  source: 'web',
  level: 'info',
  message: 'GET /api/users - 200 - 45ms',
  format: 'seed',
  templateId: 't1',
  template: 'GET /api/users - <*> - <*>',
  params: ['200', '45ms'],
  raw: '2026-02-07 06:00:00 - GET /api/users - 200 - 45ms',
};

/** Events with every optional field present or absent, odd strings included. */
function randomEvents(n: number, seed: number): LogEvent[] {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const odd = ['', ' ', 'ü ✓ 😀', '"quoted" \\ back', 'nul\u0000byte', 'line\nbreak', '<*>'];
  return Array.from({ length: n }, (_, i) => {
    const e: LogEvent = {
      ...base,
      timestamp: new Date(Date.UTC(2026, 1, 7) + i * 1000).toISOString(),
      source: pick(['web', 'api', 'db', odd[2]]),
      level: pick(LEVELS),
      message: `${pick(odd)} message ${i}`,
      format: pick(['seed', 'json', 'logfmt', 'plain']),
      templateId: `t${i % 7}`,
      template: `tpl ${i % 7} <*>`,
      params: r() < 0.3 ? [] : [String(i), pick(odd)],
      raw: r() < 0.5 ? `${pick(odd)} message ${i}` : `raw ${i}`,
    };
    if (r() < 0.5) e.raw = e.message;
    if (r() < 0.5) e.timestampOriginal = '07/Feb/2026:06:00:00 +0000';
    if (r() < 0.3) e.service = pick(['api', 'db']);
    if (r() < 0.3) e.host = 'host-1';
    if (r() < 0.6) {
      e.http = {
        method: pick(['GET', 'POST']),
        path: `/api/${i}`,
        status: 200 + (i % 4) * 100,
        latency_ms: i / 3,
      };
      if (r() < 0.5) e.http.bytes = i;
      if (r() < 0.3) e.http.user_agent = 'curl/8';
      if (r() < 0.3) e.http.client_ip = '10.0.0.1';
      if (r() < 0.2) e.http = { status: 500 };
    }
    if (r() < 0.2) e.fields = { user: 'u1', n: 3, ok: true, none: null };
    if (r() < 0.2) e.problems = ['bad_json'];
    if (r() < 0.1) e.label = 'error-burst';
    if (r() < 0.15) e.stack = `java.lang.IllegalStateException: ${pick(odd)}\n\tat a.B.c(B.java:${i})`;
    return e;
  });
}

describe('event batch codec', () => {
  it('round-trips every field of a varied batch, in order', () => {
    for (const seed of [1, 2, 3]) {
      const events = randomEvents(500, seed);
      const { events: back, rejected } = decodeEventBatch(encodeEventBatch(events));
      expect(rejected).toBe(0);
      expect(back).toEqual(events);
    }
  });

  it('is smaller than NDJSON for a typical batch', () => {
    const events = randomEvents(1000, 9);
    const ndjson = events.map((e) => JSON.stringify(e)).join('\n');
    expect(encodeEventBatch(events).length).toBeLessThan(ndjson.length * 0.8);
  });

  it('rejects a body that is not a batch, and counts bad rows without losing their neighbours', () => {
    expect(() => decodeEventBatch('{"type":"other"}')).toThrow(EventBatchError);
    expect(() => decodeEventBatch('not json')).toThrow(/not JSON/);
    const wire = JSON.parse(encodeEventBatch([base, base, base]));
    wire.events[1][5] = 99; // level index out of the table
    wire.events.push('garbage', [1, 2, 3]);
    const got = decodeEventBatch(JSON.stringify(wire));
    expect(got.events).toHaveLength(2);
    expect(got.rejected).toBe(3);
    expect(got.reasons[0]).toMatch(/event 1: bad level/);
  });

  it('drops negative or non-finite HTTP numbers, as the NDJSON reader does', () => {
    const wire = JSON.parse(encodeEventBatch([{ ...base, http: { status: 200, latency_ms: 5 } }]));
    wire.events[0][12][3] = -5;
    const [e] = decodeEventBatch(JSON.stringify(wire)).events;
    expect(e.http).toEqual({ status: 200 });
  });

  it('is chosen by Accept only when listed with q > 0', () => {
    expect(acceptsEventBatch(`${EVENT_BATCH_TYPE}, application/x-ndjson;q=0.5`)).toBe(true);
    expect(acceptsEventBatch(`application/x-ndjson, ${EVENT_BATCH_TYPE};q=0`)).toBe(false);
    expect(acceptsEventBatch('application/x-ndjson')).toBe(false);
    expect(acceptsEventBatch(null)).toBe(false);
    expect(acceptsEventBatch('*/*')).toBe(false);
  });
});

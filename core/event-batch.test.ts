import { describe, expect, it } from 'vitest';
import { base, randomEvents } from '../test/support/random-events.js';
import type { LogEvent } from './event.js';
import {
  acceptsEventBatch,
  EVENT_BATCH_TYPE,
  encodeEventBatch,
  encodeEventBatchBytes,
} from './event-batch.js';
import { decodeEventBatch, EventBatchError } from './event-batch-read.js';

/** A version 2 body as one object (header fields and `events`, raw lines put back into their rows), and back. */
const open = (body: string) => {
  const lines = body.split('\n');
  const header = JSON.parse(lines[0]);
  const rows: unknown[][] = [];
  let i = 1;
  while (rows.length < header.n) rows.push(...JSON.parse(lines[i++]));
  rows.forEach((r, k) => {
    if (r[13] === 0)
      r[13] = lines[i + k].replace(/\\([\\nr])/g, (_, c) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
  });
  return { ...header, events: rows };
};
const close = ({ events, ...header }: { events: unknown[] }) =>
  [JSON.stringify({ ...header, n: events.length }), JSON.stringify(events), ...events.map(() => '')].join(
    '\n',
  );

describe('event batch codec', () => {
  it('round-trips every field of a varied batch, in order', () => {
    for (const seed of [1, 2, 3]) {
      const events = randomEvents(500, seed);
      const { events: back, rejected } = decodeEventBatch(encodeEventBatch(events));
      expect(rejected).toBe(0);
      expect(back).toEqual(events);
    }
  });

  it('writes a header line, rows a few hundred to a line, then the raw lines; bytes and text decode alike', () => {
    const events = randomEvents(1000, 4);
    events[3].raw = 'lone \ud800 surrogate'; // stays in its row (as JSON): UTF-8 cannot carry it
    const text = encodeEventBatch(events);
    const lines = text.split('\n');
    expect(lines).toHaveLength(1 + 4 + 1000);
    expect(JSON.parse(lines[0])).toMatchObject({ type: 'logfaas.events', v: 2, n: 1000 });
    expect(lines.slice(1, 5).map((l) => JSON.parse(l).length)).toEqual([256, 256, 256, 232]);
    expect(JSON.parse(lines[1])[3][13]).toBe('lone \ud800 surrogate');
    expect(lines[5 + 3]).toBe('');
    expect(decodeEventBatch(text).events).toEqual(events);
    // JSON writes the surrogate as an escape, so the bytes carry it too.
    const bytes = encodeEventBatchBytes(events);
    expect(new TextDecoder().decode(bytes)).toBe(text);
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
    expect(decodeEventBatch(withBom).events).toEqual(events);
    expect(decodeEventBatch(encodeEventBatchBytes([])).events).toEqual([]);
  });

  it('carries raw lines with newlines, backslashes and escapes of their own exactly', () => {
    const raws = ['a\nb', 'back\\slash', 'literal \\n not a newline', 'cr\r\n', '\\', '', '\\\\n'];
    const events = raws.map((raw) => ({ ...base, raw, message: 'm' }));
    expect(decodeEventBatch(encodeEventBatchBytes(events)).events.map((e) => e.raw)).toEqual(raws);
  });

  it('refuses a body whose rows or raw lines are cut short, or whose rows are not arrays', () => {
    const lines = encodeEventBatch(randomEvents(600, 5)).split('\n');
    expect(() => decodeEventBatch(lines.slice(0, 3).join('\n'))).toThrow(
      /512 rows where the header says 600/,
    );
    expect(() => decodeEventBatch(lines.slice(0, 100).join('\n'))).toThrow(
      /96 raw lines where the header says 600/,
    );
    expect(() => decodeEventBatch([lines[0], '{}'].join('\n'))).toThrow(EventBatchError);
    expect(() => decodeEventBatch([lines[0], '[1,'].join('\n'))).toThrow(/rows after event 0 is not JSON/);
  });

  it('is smaller than NDJSON for a typical batch', () => {
    const events = randomEvents(1000, 9);
    const ndjson = events.map((e) => JSON.stringify(e)).join('\n');
    expect(encodeEventBatch(events).length).toBeLessThan(ndjson.length * 0.8);
  });

  it('rejects a body that is not a batch, and counts bad rows without losing their neighbours', () => {
    expect(() => decodeEventBatch('{"type":"other"}')).toThrow(EventBatchError);
    expect(() => decodeEventBatch('not json')).toThrow(/not JSON/);
    const wire = open(encodeEventBatch([base, base, base]));
    wire.events[1][6] = 99; // level index out of the table
    wire.events.push('garbage', [1, 2, 3]);
    const got = decodeEventBatch(close(wire));
    expect(got.events).toHaveLength(2);
    expect(got.rejected).toBe(3);
    expect(got.reasons[0]).toMatch(/event 1: bad level/);
  });

  it('sends pieces of the raw line as offsets and canonical times as numbers', () => {
    const e: LogEvent = {
      ...base,
      message: 'GET /api/users - 200 - 45ms',
      timestampOriginal: '2026-02-07 06:00:00',
      http: {
        method: 'GET',
        path: '/api/users',
        status: 200,
        user_agent: 'curl/8.5',
        client_ip: '10.0.0.12',
      },
      raw: '10.0.0.12 2026-02-07 06:00:00 - GET /api/users - 200 - 45ms',
    };
    const wire = open(encodeEventBatch([e, { ...e, timestamp: '2026-02-07T06:00:01.500Z' }]));
    expect(wire.v).toBe(2);
    expect(wire.t0).toBe(Date.parse(base.timestamp));
    const [a, b] = wire.events;
    expect(a[0]).toBe(0);
    expect(b[0]).toBe(1500);
    expect(a.slice(1, 3)).toEqual([10, 19]);
    expect(a.slice(7, 9)).toEqual([32, e.message.length]);
    expect(a[14][1]).toBe(36);
    expect(a[14][7]).toBe(0);
    expect(wire.strings[a[14][6]]).toBe('curl/8.5');
    expect(decodeEventBatch(close(wire)).events).toEqual([
      e,
      { ...e, timestamp: '2026-02-07T06:00:01.500Z' },
    ]);
  });

  it('rejects a row whose offsets fall outside its raw line, keeping the rest', () => {
    const wire = open(encodeEventBatch([{ ...base, message: base.raw }, base]));
    wire.events[0][8] = 999;
    wire.events[1][0] = 'x'.repeat(3);
    const got = decodeEventBatch(close(wire));
    expect(got.rejected).toBe(1);
    expect(got.reasons[0]).toMatch(/event 0: bad text offsets/);
    expect(got.events[0].timestamp).toBe('xxx');
  });

  it('still reads a version 1 batch (a message queued before an upgrade)', () => {
    const v1 = {
      type: 'logfaas.events',
      v: 1,
      strings: ['web', 'info', 'seed', 't1', 'GET <*>', 'GET'],
      events: [
        [
          '2026-02-07T06:00:00.000Z',
          '06:00:00',
          0,
          -1,
          -1,
          1,
          'GET /a',
          2,
          3,
          4,
          ['/a'],
          '06:00:00 GET /a',
          [5, '/a', 200, 3, null, 'curl/8', null],
          0,
        ],
        ['2026-02-07T06:00:01.000Z', 0, 0, -1, -1, 1, 'GET /b', 2, 3, 4, ['/b'], 0, 0, { label: 'x' }],
      ],
    };
    const got = decodeEventBatch(JSON.stringify(v1));
    expect(got.rejected).toBe(0);
    expect(got.events[0]).toMatchObject({
      timestamp: '2026-02-07T06:00:00.000Z',
      timestampOriginal: '06:00:00',
      message: 'GET /a',
      raw: '06:00:00 GET /a',
      http: { method: 'GET', path: '/a', status: 200, latency_ms: 3, user_agent: 'curl/8' },
    });
    expect(got.events[1]).toMatchObject({ message: 'GET /b', raw: 'GET /b', label: 'x' });
  });

  it('drops negative or non-finite HTTP numbers, as the NDJSON reader does', () => {
    const wire = open(encodeEventBatch([{ ...base, http: { status: 200, latency_ms: 5 } }]));
    wire.events[0][14][4] = -5;
    const [e] = decodeEventBatch(close(wire)).events;
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

import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../core/event.js';
import { toNdjson } from './ndjson.js';

const ev = (raw: string): LogEvent => ({
  v: 1,
  timestamp: '2026-02-07T12:00:00.000Z',
  source: 's',
  level: 'info',
  message: raw,
  format: 'plain',
  templateId: 't0',
  template: raw,
  params: [],
  raw,
});

describe('toNdjson', () => {
  it('writes exactly JSON.stringify of each event, one per line, multi-byte text included', () => {
    const events = [ev('plain'), ev('ünïcödé ✓ 日本語 \u{1F600}'), ev('quote " back\\slash \u0001'), ev('')];
    const expected = events.map((e) => `${JSON.stringify(e)}\n`).join('');
    expect(Buffer.from(toNdjson(events)).toString('utf8')).toBe(expected);
  });

  it('grows past its first guess (long, wide lines)', () => {
    const events = Array.from({ length: 3 }, (_, i) => ev('日'.repeat(5_000 + i)));
    const expected = events.map((e) => `${JSON.stringify(e)}\n`).join('');
    expect(Buffer.from(toNdjson(events)).toString('utf8')).toBe(expected);
  });

  it('is empty for no events', () => {
    expect(toNdjson([]).length).toBe(0);
  });
});

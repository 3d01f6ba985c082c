// Events with every optional field present or absent and odd strings included, for the batch codecs'
// tests (core/event-batch*.test.ts). Deterministic (seeded).
import { LEVELS, type LogEvent } from '../../core/event.js';
import { seededRandom } from '../../core/random.js';

export const base: LogEvent = {
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
export function randomEvents(n: number, seed: number): LogEvent[] {
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
    // Pieces of raw (sent as offsets) and timestamps the codec cannot send as a number.
    if (r() < 0.3) e.raw = `${pick(odd)} ${e.message} tail`;
    if (r() < 0.1) e.timestamp = pick(['2026-02-31T00:00:00.000Z', '2026-02-07T06:00:00Z', 'yesterday', '']);
    if (r() < 0.5) e.timestampOriginal = '07/Feb/2026:06:00:00 +0000';
    if (r() < 0.2) {
      e.timestampOriginal = 'Feb  7 06:00:00';
      e.raw = `${e.timestampOriginal} ${e.raw}`;
    }
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
      if (r() < 0.3) e.raw = `${e.http.client_ip ?? '10.9.9.9'} GET ${e.http.path} ${e.raw}`;
      if (r() < 0.2) e.http = { status: 500 };
    }
    if (r() < 0.2) e.fields = { user: 'u1', n: 3, ok: true, none: null };
    if (r() < 0.2) e.problems = ['bad_json'];
    if (r() < 0.1) e.label = 'error-burst';
    if (r() < 0.15) e.stack = `java.lang.IllegalStateException: ${pick(odd)}\n\tat a.B.c(B.java:${i})`;
    return e;
  });
}

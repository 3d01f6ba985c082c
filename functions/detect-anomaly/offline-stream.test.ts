import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../core/event.js';
import { DEFAULT_DETECT } from './config.js';
import { keysOf } from './features.js';
import { rng } from './forest.js';
import { analyzeOffline, OFFLINE_WINDOW_MS, verdictOf } from './offline.js';
import { StreamingAnalysis } from './offline-stream.js';

const T0 = Date.UTC(2026, 0, 5, 10);

/** A service log: requests on three routes, a few errors, a slow request, a rare message; some lines untimed. */
function events(n: number, timedShare = 0.9): LogEvent[] {
  const r = rng(11);
  return Array.from({ length: n }, (_, i) => {
    const route = ['/api/items', '/api/users/7', '/health'][i % 3];
    const ms = i === 1700 ? 9000 : 20 + Math.floor(r() * 30);
    const status = i % 997 === 5 ? 500 : 200;
    const rare = i === 2500;
    const timed = r() < timedShare;
    const msg = rare ? 'watchdog detected hard LOCKUP on cpu 3' : `GET ${route} ${status} ${ms}ms`;
    return {
      v: 1,
      timestamp: new Date(timed ? T0 + i * 200 : T0).toISOString(),
      ...(timed ? { timestampOriginal: 'x' } : {}),
      source: 'svc',
      level: status >= 500 ? 'error' : 'info',
      message: msg,
      format: 'json',
      templateId: rare ? 't-rare' : `t-${route}`,
      template: rare ? msg : 'GET <*> <*> <*>',
      params: [route, String(status), `${ms}ms`],
      raw: msg,
      ...(rare ? {} : { http: { method: 'GET', path: route, status, latency_ms: ms } }),
    } as LogEvent;
  });
}

function streamed(all: LogEvent[], chunk: number) {
  const s = new StreamingAnalysis(DEFAULT_DETECT, { contamination: 0.01 });
  for (let i = 0; i < all.length; i += chunk) s.observe(all.slice(i, i + chunk));
  s.fit();
  const out = [];
  for (let i = 0; i < all.length; i += chunk) out.push(...s.score(all.slice(i, i + chunk)));
  return { s, out };
}

describe('StreamingAnalysis (two passes)', () => {
  for (const timedShare of [0.9, 0.1]) {
    it(`gives the one-pass verdict for every line (timed share ${timedShare})`, () => {
      const all = events(3000, timedShare);
      const keys = all.map((e) => {
        const k = keysOf(e, OFFLINE_WINDOW_MS, 0);
        if (k.paramMax < 100) k.paramLongest = undefined;
        return k;
      });
      const one = analyzeOffline(all, DEFAULT_DETECT, { contamination: 0.01, keys });
      const { s, out } = streamed(all, 700);
      expect(s.timed).toBe(one.timed);
      expect(out.map((l) => l.verdict)).toEqual(all.map((_, i) => verdictOf(one, i)));
      expect(s.flagged.size).toBe(one.flagged.size);
      expect(s.flagged.has(1700) && s.flagged.has(2500)).toBe(true);
    });
  }

  it('does not depend on the chunk size', () => {
    const all = events(2000);
    const a = streamed(all, 2000).out.map((l) => l.verdict);
    const b = streamed(all, 333).out.map((l) => l.verdict);
    expect(b).toEqual(a);
  });
});

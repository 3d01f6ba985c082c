import { describe, expect, it } from 'vitest';
import type { Invocation } from '../../core/invocations.js';
import { MAX_REPORTED } from '../../core/invocations.js';
import { silentLogger } from '../../core/log.js';
import { createInvocationReport, ReportsRefused } from './invocation-report.js';

const reportWith = (send: (b: Invocation[]) => Promise<void>) =>
  createInvocationReport({ send, intervalMs: 3_600_000, logger: silentLogger });

describe('invocation report', () => {
  it('sends what was observed, once', async () => {
    const sent: Invocation[][] = [];
    const r = reportWith(async (b) => void sent.push(b));
    r.observe('parse-log', 200, 0.1);
    r.observe('detect-anomaly', 429, 0.001);
    await r.flush();
    await r.flush();
    expect(sent).toEqual([
      [
        { function: 'parse-log', code: 200, seconds: 0.1 },
        { function: 'detect-anomaly', code: 429, seconds: 0.001 },
      ],
    ]);
    await r.close();
  });

  it('keeps a report the gateway did not take, in order, for the next try', async () => {
    const sent: Invocation[][] = [];
    let fail = true;
    const r = reportWith(async (b) => {
      if (fail) throw new Error('ECONNREFUSED');
      sent.push(b);
    });
    r.observe('a', 200, 1);
    await r.flush();
    r.observe('b', 200, 2);
    expect(r.pending()).toBe(2);
    fail = false;
    await r.close();
    expect(sent.flat().map((x) => x.function)).toEqual(['a', 'b']);
  });

  it('holds at most one report of the newest while the gateway is away', async () => {
    const r = reportWith(async () => {
      throw new Error('down');
    });
    for (let i = 0; i < MAX_REPORTED + 500; i++) r.observe('a', 200, i);
    await r.flush();
    expect(r.pending()).toBe(MAX_REPORTED);
  });

  it('stops reporting to a gateway without the route (OpenFaaS own)', async () => {
    let calls = 0;
    const r = reportWith(async () => {
      calls++;
      throw new ReportsRefused('404');
    });
    r.observe('a', 200, 1);
    await r.flush();
    r.observe('a', 200, 1);
    await r.flush();
    expect(calls).toBe(1);
    expect(r.pending()).toBe(0);
  });
});

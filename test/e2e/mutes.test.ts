// Operator mutes through the real stack: real RabbitMQ + Redis, every component a process, two replicas
// of each function. After `logfaas mute`, new events of the muted template count in `total` and not in
// `anomalies`, on both detect-anomaly replicas, and still after a restart on the same data.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StatsDoc } from '../../core/stats/doc.js';
import type { ProcessStack } from '../../runner/processes.js';
import { uniqueName } from '../services.js';
import { servicesUp, startTestStack, stopTestStack } from './stack.js';

const up = await servicesUp();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SOURCE = 'mute-e2e';
const PASSWORD = 'mutes-e2e-admin-password';
/** Lines per phase, sent as 4 requests so the gateway spreads their batches over both replicas. */
const PER_PHASE = 2000;
const ERROR_EVERY = 20;
const T0 = Date.now() - 3_600_000;

/** JSON lines at a steady event rate (no surge to flag); every 20th is the same error template. */
function phaseLines(phase: number): string[] {
  return Array.from({ length: PER_PHASE }, (_, k) => {
    const i = phase * PER_PHASE + k;
    const ts = new Date(T0 + i * 50).toISOString();
    return k % ERROR_EVERY === 0
      ? JSON.stringify({ ts, level: 'error', msg: `payment gateway timed out after ${3000 + (i % 7)} ms` })
      : JSON.stringify({ ts, level: 'info', msg: `served order ${10_000 + i} in ${20 + (i % 30)} ms` });
  });
}

describe.skipIf(!up)('mutes through the real stack (2 replicas, restart)', () => {
  const ns = uniqueName('mutes');
  const dataDir = mkdtempSync(join(tmpdir(), 'logfaas-mutes-'));
  let stack: ProcessStack | undefined;

  const start = async () => {
    expect(existsSync('dist/gateway.mjs'), 'run `node build.mjs` first (npm test does)').toBe(true);
    stack = await startTestStack({
      ns,
      dataDir,
      password: PASSWORD,
      replicas: 2,
      // Rules only (no model) and every error line news on its own (LEVEL_RATE=1): the anomalies are
      // then exactly the error lines.
      envFor: {
        'detect-anomaly': { MIN_TRAINING: '100000000', LEVEL_RATE: '1', LEVEL_ROUTINE: '1000000000' },
        connector: { REBUILD_INTERVAL: '1s' },
      },
    });
    return stack;
  };

  afterAll(() => stopTestStack({ ns, stack }));

  const stats = async (s: ProcessStack) =>
    (await (await fetch(`${s.gatewayUrl}/function/stats`)).json()) as StatsDoc;

  /** Sends one phase and waits until stats has counted every line of it. */
  async function send(s: ProcessStack, phase: number, before: number): Promise<StatsDoc> {
    const lines = phaseLines(phase);
    for (let q = 0; q < 4; q++) {
      const part = lines.slice((q * PER_PHASE) / 4, ((q + 1) * PER_PHASE) / 4);
      // Until the connector has bound its queues (after a start), the producer answers 503: try again.
      const post = () =>
        fetch(`${s.gatewayUrl}/function/producer?source=${SOURCE}`, {
          method: 'POST',
          body: `${part.join('\n')}\n`,
        });
      let res = await post();
      for (const until = Date.now() + 20_000; res.status === 503 && Date.now() < until; res = await post())
        await sleep(250);
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    }
    const until = Date.now() + 60_000;
    let doc = await stats(s);
    while (doc.total < before + PER_PHASE && Date.now() < until) {
      await sleep(250);
      doc = await stats(s);
    }
    expect(doc.total).toBe(before + PER_PHASE);
    return doc;
  }

  const cli = (s: ProcessStack, args: string[]) =>
    execFileSync(
      process.execPath,
      ['dist/cli.mjs', ...args, '--gateway', s.gatewayUrl, '--password', PASSWORD],
      {
        encoding: 'utf8',
        env: { ...process.env, USER: 'e2e-operator' },
      },
    );

  it('counts a muted template in total and never in anomalies, on both replicas and after a restart', async () => {
    let s = await start();
    const errorsPerPhase = PER_PHASE / ERROR_EVERY;
    const d1 = await send(s, 0, 0);
    expect(d1.anomalies).toBe(errorsPerPhase);
    const tids = new Set(d1.recent_anomalies.map((a) => a.result.event.templateId));
    expect(tids.size).toBe(1);
    const [tid] = tids;

    expect(cli(s, ['mute', SOURCE, tid, '--for', '1h', '--reason', 'known: gateway maintenance'])).toMatch(
      /^muted: /,
    );
    expect(cli(s, ['mute', '--list'])).toContain(`${tid} of "${SOURCE}"`);
    // Every replica re-checks the list within 2 s.
    await sleep(2500);
    const d2 = await send(s, 1, d1.total);
    expect(d2.anomalies).toBe(d1.anomalies);
    expect(d2.mutes.map((m) => [m.source, m.templateId, m.by])).toEqual([[SOURCE, tid, 'e2e-operator']]);

    // Straight to detect-anomaly through the gateway, which alternates between its two replicas: each
    // call gets a muted error event, and neither replica reports it.
    const event = d1.recent_anomalies[0].result.event;
    for (let k = 0; k < 4; k++) {
      const res = await fetch(`${s.gatewayUrl}/function/detect-anomaly`, {
        method: 'POST',
        body: `${JSON.stringify({ ...event, timestamp: new Date(T0 + 9_000_000 + k).toISOString() })}\n`,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-events-processed')).toBe('1');
      expect(await res.text()).toBe('');
    }
    const direct = await stats(s);
    expect([direct.total, direct.anomalies]).toEqual([d2.total + 4, d1.anomalies]);

    // A restart of every process on the same Redis: the mute is data, not replica memory.
    await s.stop();
    stack = undefined;
    s = await start();
    const d3 = await send(s, 2, direct.total);
    expect(d3.anomalies).toBe(d1.anomalies);

    // Unmuted: the same template is reported again (so it was the mute that held them back).
    expect(cli(s, ['unmute', SOURCE, tid])).toBe(`unmuted: ${tid} of ${SOURCE}\n`);
    await sleep(2500);
    const d4 = await send(s, 3, d3.total);
    expect(d4.anomalies).toBe(d1.anomalies + errorsPerPhase);
    console.log(
      `mutes e2e: 4 phases of ${PER_PHASE} lines, anomalies ${[d1, d2, d3, d4].map((d) => d.anomalies).join(' -> ')} (muted in phases 2-3)`,
    );
  }, 240_000);
});

// A steady client for fault tests: posts batches at a fixed rate with idempotency keys and resends a
// batch (same key) until the producer confirms it, as `logfaas send` does. Everything it reports as
// sent was confirmed by the broker. Then settle: the stack's counts once the stream is in.
import type { ProcessStack } from '../../runner/processes.js';
import { uniqueName } from '../services.js';

export interface StreamResult {
  lines: number;
  batches: number;
  resends: number;
}

export async function stream(o: {
  gatewayUrl: string;
  lines: string[];
  batchLines: number;
  linesPerSec: number;
  source: string;
  runId: string;
  /** Called once, after this many ms of streaming. */
  faultAtMs?: number;
  fault?: () => Promise<void>;
}): Promise<StreamResult> {
  const batches: string[] = [];
  for (let i = 0; i < o.lines.length; i += o.batchLines)
    batches.push(o.lines.slice(i, i + o.batchLines).join('\n'));
  const interval = (o.batchLines / o.linesPerSec) * 1000;
  const t0 = Date.now();
  let resends = 0;
  let faulted: Promise<void> | undefined;
  const sends: Promise<void>[] = [];
  for (let i = 0; i < batches.length; i++) {
    const wait = t0 + i * interval - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (!faulted && o.fault && Date.now() - t0 >= (o.faultAtMs ?? 0)) faulted = o.fault();
    sends.push(
      (async () => {
        for (let attempt = 0; ; attempt++) {
          try {
            const r = await fetch(`${o.gatewayUrl}/function/producer?source=${o.source}`, {
              method: 'POST',
              headers: { 'x-idempotency-key': `${o.runId}-${i}` },
              body: batches[i],
              signal: AbortSignal.timeout(10_000),
            });
            const body = (await r.json().catch(() => ({}))) as { accepted?: number };
            if (r.ok && body.accepted === batches[i].split('\n').length) return;
          } catch {
            // gateway or producer down: resend below
          }
          resends++;
          if (attempt > 200) throw new Error(`batch ${i} never accepted`);
          await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** Math.min(attempt, 5))));
        }
      })(),
    );
  }
  await Promise.all(sends);
  await faulted;
  return { lines: o.lines.length, batches: batches.length, resends };
}

/** The fault suites' stream: 500-line batches at 5,000 lines/s as source `faults`, `fault` after 1.5 s. */
export const faultStream = (s: ProcessStack, lines: string[], fault?: () => Promise<void>) =>
  stream({
    gatewayUrl: s.gatewayUrl,
    lines,
    batchLines: 500,
    linesPerSec: 5_000,
    source: 'faults',
    runId: uniqueName('run'),
    faultAtMs: 1_500,
    fault,
  });

/** stats' total and anomalies once `want` lines are counted (or `timeoutMs` passed), read `lateMs` later. */
export async function settle(s: ProcessStack, want: number, timeoutMs = 90_000, lateMs = 2_000) {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const read = async () => {
    try {
      return (await (await fetch(`${s.gatewayUrl}/function/stats`)).json()) as {
        total: number;
        anomalies: number;
      };
    } catch {
      return { total: -1, anomalies: -1 };
    }
  };
  const until = Date.now() + timeoutMs;
  let v = await read();
  while (v.total < want && Date.now() < until) {
    await sleep(250);
    v = await read();
  }
  await sleep(lateMs); // late redeliveries would show up as over-counting now
  return read();
}

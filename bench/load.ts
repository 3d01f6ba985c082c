// The load the pipeline bench puts on a running stack: a burst as fast as the producer confirms, and a
// steady rate whose batches are timed from accept to stats-visible.
import { mixedLines } from '../test/e2e/lines.js';
import { sleep } from './meter.js';

const REQUEST_LINES = 5_000;
// Every stats poll is an HTTP call through the gateway plus a readStats against Redis (~4 ms of CPU):
// polled every 50 ms throughout, the measurement itself took ~2.4 µs a line. Where the stack offers a
// cheap exact read of the same counter (bench/stacks.ts storedTotal: one HGET), a burst's end is watched
// with it every 20 ms and the stats function asked once, to confirm. Otherwise polls are spaced by the
// drain's own pace: at most 500 ms, and half the time the lines left should take at the rate seen so far.
// (A fixed 500 ms until the last 5% left the burst's end to be seen up to ~0.5 s late: the same code
// read ~77,000 or ~95,000 lines/s depending on where the last coarse poll fell.)
const DRAIN_COARSE_POLL_MS = 500;
const DRAIN_POLL_MS = 20;
const FRESHNESS_POLL_MS = 20;

export async function statsTotal(gateway: string): Promise<number> {
  const r = await fetch(`${gateway}/function/stats?window=1m`);
  return ((await r.json()) as { total: number }).total;
}

/** How a burst's end is seen. */
export interface DrainWatch {
  /** What the dashboard would show (default: the stats function's total). */
  visible?: () => Promise<number>;
  /** A cheap, exact read of the same total: polled every 20 ms, `visible` then asked once to confirm. */
  count?: () => Promise<number>;
}

/** Sends `lines` as fast as the producer confirms them; returns lines/s from first send to stats-visible
 * (or to whatever `watch.visible` counts). `timing.acceptedMs`: when the producer had confirmed the last line. */
export async function sustained(
  gateway: string,
  lines: string[],
  source: string,
  concurrency = 3,
  watch: DrainWatch = {},
  timing: { acceptedMs?: number } = {},
): Promise<number> {
  const visible = watch.visible ?? (() => statsTotal(gateway));
  const visibleBase = await visible();
  const countBase = watch.count ? await watch.count() : visibleBase;
  const chunks: string[] = [];
  for (let i = 0; i < lines.length; i += REQUEST_LINES)
    chunks.push(lines.slice(i, i + REQUEST_LINES).join('\n'));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < chunks.length) {
        const body = chunks[next++];
        const r = await fetch(`${gateway}/function/producer?source=${source}`, { method: 'POST', body });
        if (!r.ok) throw new Error(`producer answered ${r.status}: ${await r.text()}`);
      }
    }),
  );
  timing.acceptedMs = performance.now() - t0;
  const poll = watch.count ?? visible;
  for (;;) {
    const done = (await poll()) - countBase;
    if (done >= lines.length && (!watch.count || (await visible()) - visibleBase >= lines.length)) break;
    const elapsed = performance.now() - t0;
    if (elapsed > 300_000) throw new Error('pipeline did not drain within 5 minutes');
    await sleep(watch.count ? DRAIN_POLL_MS : drainPollMs(lines.length - done, done, elapsed));
  }
  return lines.length / ((performance.now() - t0) / 1000);
}

/** The wait before the next poll of an expensive count: half the time `left` lines should take. */
export function drainPollMs(left: number, done: number, elapsedMs: number): number {
  if (left <= 0) return DRAIN_POLL_MS;
  if (done <= 0) return DRAIN_COARSE_POLL_MS / 5;
  const expected = (left * elapsedMs) / done;
  return Math.max(DRAIN_POLL_MS, Math.min(DRAIN_COARSE_POLL_MS, expected / 2));
}

/**
 * Batches of 500 lines at `rate` lines/s for `seconds`; latency from the request's send to stored, as
 * `visible` counts lines (default: the stats function's total, through the gateway).
 */
export async function freshness(
  gateway: string,
  rate: number,
  seconds: number,
  source: string,
  visible: () => Promise<number> = () => statsTotal(gateway),
): Promise<number[]> {
  const batch = 500;
  const { lines } = mixedLines(batch, 99);
  const body = lines.join('\n');
  const base = await visible();
  const accepted: { at: number; cum: number }[] = [];
  let sent = 0;
  let stop = false;
  const lat: number[] = [];
  const watcher = (async () => {
    let i = 0;
    while (!stop || i < accepted.length) {
      const total = (await visible()) - base;
      const now = performance.now();
      while (i < accepted.length && accepted[i].cum <= total) lat.push(now - accepted[i++].at);
      await sleep(FRESHNESS_POLL_MS);
      if (stop && now - (accepted.at(-1)?.at ?? now) > 30_000) break;
    }
  })();
  const interval = (batch / rate) * 1000;
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let k = 0; performance.now() - t0 < seconds * 1000; k++) {
    const due = t0 + k * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    // From the send, not the answer: the producer's own time (a small batch waiting to share a message,
    // functions/producer/coalesce.ts) is part of what a sender waits to see its lines.
    const at = performance.now();
    inflight.push(
      fetch(`${gateway}/function/producer?source=${source}`, { method: 'POST', body }).then(async (r) => {
        await r.arrayBuffer();
        sent += batch;
        accepted.push({ at, cum: sent });
        accepted.sort((a, b) => a.cum - b.cum);
      }),
    );
  }
  await Promise.all(inflight);
  stop = true;
  await watcher;
  return lat;
}

/** Lines sent before measuring: BENCH_WARMUP of them (default 100,000; 20,000 with --quick). */
export function warmupLines(quick: boolean): string[] {
  const n =
    process.env.BENCH_WARMUP !== undefined ? Number(process.env.BENCH_WARMUP) : quick ? 20_000 : 100_000;
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`BENCH_WARMUP must be a whole number of lines, got ${process.env.BENCH_WARMUP}`);
  return n > 0 ? mixedLines(n, 5).lines : [];
}

// Soak: half the sustained rate for a long time, RSS of every process sampled every 10 s.
import type { ProcessStack } from '../runner/processes.js';
import { freshness } from './load.js';
import { pct, rssMb } from './meter.js';

/**
 * Soak: half the sustained rate for `ms`, RSS of every process sampled every 10 s. Memory is flat when
 * the last minute's RSS is no higher than the first minute's (after warm-up) by more than a few MB.
 */
export async function soakRun(stack: ProcessStack, rate: number, ms: number, log: (l: string) => void) {
  const samples = new Map<string, number[]>();
  const sample = () => {
    for (const c of stack.supervisor.children.values()) {
      const a = samples.get(c.name) ?? [];
      a.push(rssMb(c.pid()));
      samples.set(c.name, a);
    }
  };
  const timer = setInterval(sample, 10_000);
  log(`  soak: ${Math.round(rate).toLocaleString()} lines/s for ${Math.round(ms / 60_000)} min`);
  const lat = await freshness(stack.gatewayUrl, rate, ms / 1000, 'soak');
  clearInterval(timer);
  sample();
  const start: Record<string, number> = {};
  const end: Record<string, number> = {};
  for (const [name, a] of samples) {
    // First minute after warm-up vs last minute: medians of six samples each.
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
    start[name] = med(a.slice(6, 12).length ? a.slice(6, 12) : a.slice(0, 6));
    end[name] = med(a.slice(-6));
  }
  const growth = Math.max(...Object.keys(end).map((k) => end[k] - start[k]));
  return {
    figures: {
      soak_minutes: Math.round(ms / 60_000),
      soak_rss_start_mb: start,
      soak_rss_end_mb: end,
      soak_max_rss_growth_mb: growth,
      soak_freshness_p99_ms: Math.round(pct(lat, 99)),
    },
    lines: [
      `soak ${Math.round(ms / 60_000)} min at ${Math.round(rate).toLocaleString()} lines/s: RSS MB start -> end: ${Object.keys(
        end,
      )
        .map((k) => `${k} ${start[k]}->${end[k]}`)
        .join(', ')}; largest growth ${growth} MB; freshness p99 ${Math.round(pct(lat, 99))} ms`,
    ],
  };
}

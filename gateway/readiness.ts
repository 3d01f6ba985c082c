// Polls each URL upstream's /_/ready so /system/functions reports availableReplicas truthfully.
import type { Upstream } from './upstream.js';

export function startReadinessPoller(
  upstreams: Map<string, Upstream>,
  intervalMs: number,
  fetchImpl: typeof fetch = fetch,
): { available(name: string): boolean; stop(): void } {
  const state = new Map<string, boolean>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    await Promise.all(
      [...upstreams].map(async ([name, up]) => {
        if (up.kind === 'handler') return state.set(name, true);
        try {
          const r = await fetchImpl(`${up.url}/_/ready`, {
            signal: AbortSignal.timeout(Math.min(2000, intervalMs)),
          });
          await r.arrayBuffer();
          state.set(name, r.ok);
        } catch {
          state.set(name, false);
        }
      }),
    );
    if (!stopped) timer = setTimeout(() => void poll(), intervalMs);
  };
  void poll();
  return {
    available: (name) => state.get(name) ?? upstreams.get(name)?.kind === 'handler',
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

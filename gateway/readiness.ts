// Polls each URL upstream's /_/ready so /system/functions reports availableReplicas truthfully.
import type { Upstream } from './upstream.js';

export function startReadinessPoller(
  upstreams: Map<string, Upstream>,
  intervalMs: number,
  fetchImpl: typeof fetch = fetch,
): { available(name: string): number; stop(): void } {
  const state = new Map<string, number>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    await Promise.all(
      [...upstreams].map(async ([name, up]) => {
        if (up.kind === 'handler') return state.set(name, 1);
        const ready = await Promise.all(
          up.urls.map(async (url) => {
            try {
              const r = await fetchImpl(`${url}/_/ready`, {
                signal: AbortSignal.timeout(Math.min(2000, intervalMs)),
              });
              await r.arrayBuffer();
              return r.ok;
            } catch {
              return false;
            }
          }),
        );
        state.set(name, ready.filter(Boolean).length);
      }),
    );
    if (!stopped) timer = setTimeout(() => void poll(), intervalMs);
  };
  void poll();
  return {
    available: (name) => state.get(name) ?? (upstreams.get(name)?.kind === 'handler' ? 1 : 0),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

// Polls each URL upstream's /_/ready so /system/functions reports availableReplicas truthfully.
// Through the gateway's own keep-alive client to the replicas (the one requests take), not a second
// client and connection pool of fetch's.
import type { HttpClient } from '../core/http/client.js';
import { type Upstream, upstreamClient } from './upstream.js';

export function startReadinessPoller(
  upstreams: Map<string, Upstream>,
  intervalMs: number,
  client: HttpClient = upstreamClient(),
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
              const r = await client({
                method: 'GET',
                url: `${url}/_/ready`,
                headers: {},
                timeoutMs: Math.min(2000, intervalMs),
              });
              return r.status >= 200 && r.status < 300;
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

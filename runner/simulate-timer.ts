// The synthetic-load schedule of `logfaas up` (the cron-connector's job in docker-compose/OpenFaaS):
// every interval, POST a simulation request to the producer through the gateway.
import type { Logger } from '../core/log.js';

export function startSimulationTimer(o: {
  gatewayUrl: string;
  intervalMs: number;
  request: (tick: number) => unknown;
  logger: Logger;
}): { stop(): void } {
  let tick = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const run = async () => {
    try {
      const r = await fetch(`${o.gatewayUrl}/function/producer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-connector': 'logfaas-schedule' },
        body: JSON.stringify(o.request(tick++)),
        signal: AbortSignal.timeout(60_000),
      });
      const body = await r.text();
      if (!r.ok) o.logger.warn('scheduled simulation failed', { status: r.status, body: body.slice(0, 200) });
    } catch (e) {
      o.logger.warn('scheduled simulation failed', { err: String(e) });
    }
    if (!stopped) timer = setTimeout(() => void run(), o.intervalMs);
  };
  timer = setTimeout(() => void run(), Math.min(2_000, o.intervalMs));
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

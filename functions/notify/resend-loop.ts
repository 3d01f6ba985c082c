// Runs notify's periodic pass every RESEND_INTERVAL, one pass at a time, until stopped (main.ts and
// `npm start`). A failed pass is logged; the next one tries again.
import type { Logger } from '../../core/log.js';
import type { NotifyHandler } from './handler.js';

export function startResendLoop(
  handler: Pick<NotifyHandler, 'resend'>,
  o: { intervalMs: number; logger: Logger },
): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = handler
      .resend()
      .then(
        (r) => {
          if (r?.sent || r?.failures) o.logger.info('resend pass', r);
        },
        (e) => o.logger.warn('resend pass failed', { err: String(e) }),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, o.intervalMs).unref();
      });
  };
  timer = setTimeout(tick, o.intervalMs).unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

// SIGTERM/SIGINT handling for a main.ts: run the closers once, in order, then exit.
import type { Logger } from '../log.js';

export function onShutdown(closers: (() => Promise<void>)[], log: Logger): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    for (const c of closers) {
      try {
        await c();
      } catch (e) {
        log.error('error during shutdown', { err: String(e) });
      }
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

// With GATEWAY_INVOKE=false the gateway never sees the connector's calls, yet they belong in its metrics
// (gateway_function_invocation_total, faas-cli list's invocations): the connector reports them in batches.
import { type Invocation, MAX_REPORTED } from '../../core/invocations.js';
import type { Logger } from '../../core/log.js';

/** The gateway has no /system/invocations (OpenFaaS's own): nothing more is reported. */
export class ReportsRefused extends Error {}

export interface InvocationReportOptions {
  send: (batch: Invocation[]) => Promise<void>;
  intervalMs: number;
  logger: Logger;
}

export function createInvocationReport(o: InvocationReportOptions) {
  let pending: Invocation[] = [];
  let dropped = 0;
  let sending: Promise<void> | undefined;
  let refused = false;

  async function flush(): Promise<void> {
    await sending;
    if (pending.length === 0) return;
    const batch = pending.splice(0, MAX_REPORTED);
    sending = o
      .send(batch)
      .catch((e) => {
        if (e instanceof ReportsRefused) {
          refused = true;
          pending = [];
          o.logger.warn('the gateway takes no invocation reports: its metrics will not count direct calls', {
            err: e.message,
          });
          return;
        }
        // Metrics only: put them back (the oldest make way past the cap) and try at the next tick.
        pending = batch.concat(pending);
        if (pending.length > MAX_REPORTED) {
          dropped += pending.length - MAX_REPORTED;
          pending = pending.slice(pending.length - MAX_REPORTED);
        }
        o.logger.warn('cannot report invocations to the gateway', {
          err: String(e),
          pending: pending.length,
          dropped,
        });
      })
      .finally(() => {
        sending = undefined;
      });
    await sending;
  }

  const timer = setInterval(() => void flush(), o.intervalMs);
  timer.unref();

  return {
    observe(fn: string, code: number, seconds: number): void {
      if (!refused) pending.push({ function: fn, code, seconds });
    },
    pending: () => pending.length,
    flush,
    /** Stops the timer after a last report. */
    async close(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}

export type InvocationReport = ReturnType<typeof createInvocationReport>;

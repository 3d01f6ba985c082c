// Pipeline health: depth and consumers of each queue, asked of the broker with a deadline. A broker that
// fails or is slow makes the status `unreachable`; stats itself never fails because of it.
import type { Broker } from '../broker/types.js';
import type { QueueHealth, StatsDoc } from './doc.js';

/** Queue stats for `queues`, or `unknown` without a broker, or `unreachable` when it fails or takes over timeoutMs. */
export async function readPipeline(
  broker: Pick<Broker, 'queueStats'> | undefined,
  queues: string[],
  timeoutMs: number,
): Promise<Omit<StatsDoc['pipeline'], 'dead_lettered'>> {
  if (!broker || queues.length === 0) return { status: 'unknown', queues: [] };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    const got = await Promise.race([Promise.all(queues.map((q) => broker.queueStats(q))), timeout]);
    if (!got) throw new Error('broker timeout');
    const list: QueueHealth[] = queues.map((name, k) => ({
      name,
      messages: got[k]?.messages ?? null,
      consumers: got[k]?.consumers ?? null,
    }));
    return { status: 'ok', queues: list };
  } catch {
    return {
      status: 'unreachable',
      queues: queues.map((name) => ({ name, messages: null, consumers: null })),
    };
  } finally {
    clearTimeout(timer);
  }
}

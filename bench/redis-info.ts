// Redis's own counters (INFO) over a bench run: commands processed and memory used. On a Redis of its
// own (REDIS_URL) the figures are the pipeline's; on a shared one they include everyone else's work.
import { connect } from 'node:net';

/** INFO's `field:value` lines as numbers (non-numeric fields dropped). */
export function parseInfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i < 1 || line.startsWith('#')) continue;
    const v = Number(line.slice(i + 1));
    if (Number.isFinite(v)) out[line.slice(0, i)] = v;
  }
  return out;
}

/** One INFO call over a plain socket (no client library: the bench must not disturb the clients'). */
export function redisInfo(url: string): Promise<Record<string, number>> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port || 6379), u.hostname);
    let buf = '';
    const auth = u.password
      ? `AUTH ${decodeURIComponent(u.username || 'default')} ${decodeURIComponent(u.password)}\r\n`
      : '';
    s.setTimeout(5000, () => s.destroy(new Error('redis INFO timed out')));
    s.on('connect', () => s.write(`${auth}INFO\r\n`));
    s.on('data', (d) => {
      buf += d.toString('utf8');
      const m = /\$(\d+)\r\n/.exec(buf);
      if (m && Buffer.byteLength(buf.slice(m.index + m[0].length)) >= Number(m[1])) {
        s.end();
        resolve(parseInfo(buf.slice(m.index + m[0].length)));
      }
    });
    s.on('error', reject);
  });
}

/** Commands and memory from now until the returned function is called. */
export async function redisMeter(
  url: string,
): Promise<() => Promise<{ commands: number; usedMemoryMb: number; memoryGrowthMb: number }>> {
  const start = await redisInfo(url);
  return async () => {
    const end = await redisInfo(url);
    return {
      commands: (end.total_commands_processed ?? 0) - (start.total_commands_processed ?? 0),
      usedMemoryMb: Math.round((end.used_memory ?? 0) / 1e5) / 10,
      memoryGrowthMb: Math.round(((end.used_memory ?? 0) - (start.used_memory ?? 0)) / 1e5) / 10,
    };
  };
}

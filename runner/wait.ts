// Polls an HTTP URL until it answers 2xx, for start-up ordering.
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  headers?: Record<string, string>,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const r = await fetch(url, { headers, signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = String((e as { cause?: { code?: string } }).cause?.code ?? e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})`);
}

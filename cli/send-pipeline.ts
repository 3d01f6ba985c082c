// Posts chunks to the producer with a few requests in flight; each chunk carries an idempotency key
// derived from its input and offset, so a retry or a resumed run cannot count a line twice.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { EXIT } from './command.js';
import type { Chunk } from './file-chunks.js';
import { CliError, describeFailure, type Gateway, gatewayFetch } from './gateway-client.js';

const gzipAsync = promisify(gzip);

export interface PostOptions {
  source: string;
  format?: string;
  gzip: boolean;
  /** Multi-line grouping: false sends `X-Multiline: off`; true marks chunks that end between records. */
  multiline?: boolean;
  /** Retries of 429/502/503/504 (safe: the key makes a resent chunk a no-op downstream). */
  retries: number;
  retryDelayMs?: number;
}

/** POSTs one chunk; resolves with the accepted line count once the producer confirmed all of it. */
export async function postChunk(gw: Gateway, chunk: Chunk, key: string, o: PostOptions): Promise<number> {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'x-idempotency-key': key,
  };
  if (o.format) headers['x-log-format'] = o.format;
  if (o.multiline === false) headers['x-multiline'] = 'off';
  else if (chunk.whole) headers['x-multiline-end'] = 'complete';
  let body: Uint8Array = chunk.body;
  if (o.gzip) {
    body = new Uint8Array(await gzipAsync(chunk.body));
    headers['content-encoding'] = 'gzip';
  }
  const path = `/function/producer?source=${encodeURIComponent(o.source)}`;
  for (let attempt = 0; ; attempt++) {
    const res = await gatewayFetch(gw, path, { method: 'POST', headers, body: body as BodyInit });
    if (res.ok) {
      const json = (await res.json().catch(() => null)) as { accepted?: unknown } | null;
      const accepted = typeof json?.accepted === 'number' ? json.accepted : Number.NaN;
      if (accepted !== chunk.lines) {
        throw new CliError(
          `producer accepted ${accepted} of ${chunk.lines} lines at byte ${chunk.start}`,
          EXIT.failure,
        );
      }
      return accepted;
    }
    const transient = [429, 502, 503, 504].includes(res.status);
    if (!transient || attempt >= o.retries) {
      const { message } = await describeFailure(res);
      throw new CliError(`gateway answered ${message}`, EXIT.failure);
    }
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, (o.retryDelayMs ?? 500) * 2 ** attempt));
  }
}

/**
 * Sends every chunk with at most `parallel` in flight. `onConfirmed` runs per confirmed chunk (in
 * confirm order). The first failure stops new requests; in-flight ones are awaited, then it throws.
 */
export async function sendAll(
  chunks: AsyncIterable<Chunk>,
  send: (c: Chunk) => Promise<number>,
  parallel: number,
  onConfirmed: (c: Chunk) => void,
): Promise<void> {
  const inflight = new Set<Promise<void>>();
  let failure: { e: unknown } | undefined;
  for await (const c of chunks) {
    if (failure) break;
    const p: Promise<void> = send(c).then(
      // A confirmed chunk is recorded even after another one failed: it is in the pipeline.
      () => onConfirmed(c),
      (e) => {
        failure ??= { e };
      },
    );
    const tracked = p.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
    if (inflight.size >= parallel) await Promise.race(inflight);
    if (failure) break;
  }
  await Promise.all(inflight);
  if (failure) throw failure.e;
}

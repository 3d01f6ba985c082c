// A stand-in for parse-log and detect-anomaly that does none of their work, for the bench's plumbing
// figure: the same producer, broker, connector and gateway hops with the same batches, and one atomic
// Redis apply per batch with its idempotency key, as detect-anomaly makes. The pipeline's cost minus
// this chain's cost is what parsing, mining and scoring add.
import { H } from '../core/headers.js';
import type { KV } from '../core/kv/types.js';

export type NullRole = 'pass' | 'sink';

const COUNT_KEY = 'null:lines';
const NEWLINE = 0x0a;

/** Lines in a batch body: newline-separated, a missing final newline still ends a line. */
export function countLines(body: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < body.length; i++) if (body[i] === NEWLINE) n++;
  return body.length > 0 && body[body.length - 1] !== NEWLINE ? n + 1 : n;
}

/**
 * pass: answers with the request body as it came (parse-log's place: the connector publishes it on).
 * sink: counts the body's lines into the KV, once per batch id (detect-anomaly's place); GET reads it.
 */
export function createNullHandler(deps: { role: NullRole; kv?: KV }): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method === 'GET') {
      const lines = Number((await deps.kv?.hgetall(COUNT_KEY))?.n ?? 0);
      return Response.json({ lines });
    }
    const body = new Uint8Array(await req.arrayBuffer());
    if (deps.role === 'pass') {
      return new Response(body, {
        headers: { 'content-type': req.headers.get('content-type') ?? 'application/octet-stream' },
      });
    }
    const batchId = req.headers.get(H.batchId);
    await deps.kv?.apply(
      [{ op: 'hincrby', key: COUNT_KEY, field: 'n', by: countLines(body) }],
      batchId ? { onceKey: `null:${batchId}` } : {},
    );
    return new Response(null, { status: 204 });
  };
}

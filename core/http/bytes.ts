// Web Request/Response objects over bytes already in memory, without copying them. `new Response(u8)`
// copies the bytes at once and reading it back copies them again; for the MB-sized bodies of the
// pipeline (2,000-line batches) those copies and the GC pressure of their external memory were a
// visible part of the gateway's CPU. Wrapping the bytes in a one-chunk stream copies nothing, and code
// that knows (serve's writer, the gateway) takes the bytes back with knownBytes().
const known = new WeakMap<Request | Response, Uint8Array>();

/** Below this, the plain constructor's copy is cheaper than setting up a stream. */
const MIN_WRAPPED_BYTES = 16 * 1024;

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

/** A Response whose body is `bytes` (not copied); the bytes must not change afterwards. */
export function bytesResponse(bytes: Uint8Array | null, init: ResponseInit): Response {
  if (!bytes || bytes.byteLength < MIN_WRAPPED_BYTES) return new Response(bytes as BodyInit | null, init);
  const res = new Response(streamOf(bytes), init);
  known.set(res, bytes);
  return res;
}

/** A Request whose body is `bytes` (not copied); the bytes must not change afterwards. */
export function bytesRequest(url: string, init: Omit<RequestInit, 'body'> & { body?: Uint8Array }): Request {
  const bytes = init.body;
  if (!bytes || bytes.byteLength < MIN_WRAPPED_BYTES)
    return new Request(url, { ...init, body: bytes as BodyInit | undefined });
  const req = new Request(url, { ...init, body: streamOf(bytes), duplex: 'half' } as RequestInit);
  known.set(req, bytes);
  return req;
}

/** The bytes behind a body made by bytesRequest/bytesResponse, while nobody has read it. */
export function knownBytes(x: Request | Response): Uint8Array | undefined {
  return x.bodyUsed ? undefined : known.get(x);
}

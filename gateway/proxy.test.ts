// The gateway's streaming path for functions reached by URL, over real sockets: bodies pass through
// unchanged and unbuffered, with the same limits, deadlines, failover and metrics as the Web handler.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, serve } from '../core/http/serve.js';
import { silentLogger } from '../core/log.js';
import { Secret } from '../core/secrets.js';
import { freePort } from '../runner/free-port.js';
import type { FunctionSpec } from './stack.js';
import { type RunningGateway, startGateway } from './start.js';
import type { Upstream } from './upstream.js';

const spec = (name: string): FunctionSpec => ({
  name,
  image: `x/${name}`,
  labels: {},
  annotations: {},
  environment: {},
  secrets: [],
});
const LIMIT = 4 * 1024 * 1024;
const seen: { replica: string; bytes: number; callId: string | null; path: string }[] = [];
let a: RunningServer;
let b: RunningServer;
let slow: RunningServer;
let gw: RunningGateway;
// A replica on a bare socket that reports the first bytes of a body as they arrive.
let raw: Server;
let firstBytes: () => void = () => {};

const replica = (id: string, delayMs = 0) =>
  serve(
    async (req) => {
      const body = new Uint8Array(await req.arrayBuffer());
      const u = new URL(req.url);
      seen.push({
        replica: id,
        bytes: body.length,
        callId: req.headers.get('x-call-id'),
        path: u.pathname + u.search,
      });
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      // Echo the body back reversed in byte order of chunks is not needed: the same bytes prove the path.
      return new Response(body, { headers: { 'content-type': 'application/octet-stream', 'x-replica': id } });
    },
    { port: 0, host: '127.0.0.1', maxBodyBytes: 64 << 20, maxInflight: 100, timeoutMs: 10_000 },
  );

beforeAll(async () => {
  [a, b, slow] = await Promise.all([replica('a'), replica('b'), replica('slow', 3000)]);
  raw = createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => {
      if (n === 0) firstBytes();
      n += c.length;
    });
    req.on('end', () => res.end(String(n)));
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
  const refused = `http://127.0.0.1:${await freePort()}`;
  gw = await startGateway({
    functions: ['echo', 'raw', 'pool', 'slow', 'down', 'inproc'].map(spec),
    upstreams: new Map<string, Upstream>([
      ['echo', { kind: 'url', urls: [a.url] }],
      ['raw', { kind: 'url', urls: [rawUrl] }],
      ['pool', { kind: 'url', urls: [a.url, refused, b.url] }],
      ['slow', { kind: 'url', urls: [slow.url] }],
      ['down', { kind: 'url', urls: [refused] }],
      ['inproc', { kind: 'handler', handler: async (r) => new Response(`in-process ${await r.text()}`) }],
    ]),
    credentials: { user: 'admin', password: new Secret('s3cret') },
    port: 0,
    host: '127.0.0.1',
    timeoutMs: 1500,
    maxBodyBytes: LIMIT,
    maxInflight: 3,
    logger: silentLogger,
  });
});
afterAll(async () => {
  await gw.close();
  await Promise.all([a.close(), b.close(), slow.close()]);
  await new Promise((r) => raw.close(r));
});

const bytes = (n: number) => {
  const u = new Uint8Array(n);
  for (let i = 0; i < n; i++) u[i] = (i * 31 + (i >> 8)) & 0xff;
  return u;
};
/** A body sent in chunks without a content-length (chunked transfer encoding). */
const chunked = (total: number, chunk = 64 * 1024) => {
  const all = bytes(total);
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= total) return c.close();
      c.enqueue(all.slice(at, at + chunk));
      at += chunk;
    },
  });
};

describe('gateway streaming proxy', () => {
  it('passes a MB-sized body both ways unchanged, with sub-path, query and stamped headers', async () => {
    const body = bytes(3 * 1024 * 1024 + 7);
    const r = await fetch(`${gw.url}/function/echo/sub/path?x=1`, {
      method: 'POST',
      body,
      headers: { 'x-call-id': 'call-1' },
    });
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(Buffer.from(body))).toBe(true);
    expect(r.headers.get('x-call-id')).toBe('call-1');
    expect(r.headers.get('x-served-by')).toBe('logfaas-gateway/echo');
    expect(Number(r.headers.get('x-duration-seconds'))).toBeGreaterThan(0);
    expect(r.headers.get('x-replica')).toBe('a');
    expect(seen.at(-1)).toMatchObject({ bytes: body.length, callId: 'call-1', path: '/sub/path?x=1' });
  });

  it('streams a chunked body and accepts name.namespace', async () => {
    const r = await fetch(`${gw.url}/function/echo.openfaas-fn`, {
      method: 'POST',
      body: chunked(1024 * 1024 + 5),
      duplex: 'half',
    } as RequestInit);
    expect(r.status).toBe(200);
    expect((await r.arrayBuffer()).byteLength).toBe(1024 * 1024 + 5);
    expect(r.headers.get('x-call-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('hands the first bytes on before the client has sent the rest', async () => {
    const reached = new Promise<boolean>((resolve) => {
      firstBytes = () => resolve(true);
      setTimeout(() => resolve(false), 2000);
    });
    let reachedFirst: boolean | undefined;
    let step = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (step++ === 0) return c.enqueue(new TextEncoder().encode('first'));
        // A buffering gateway would not pass 'first' on until the body ends: this would wait 2 s, then say so.
        reachedFirst = await reached;
        c.enqueue(new TextEncoder().encode(' rest'));
        c.close();
      },
    });
    const r = await fetch(`${gw.url}/function/raw`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(await r.text()).toBe('10');
    expect(reachedFirst).toBe(true);
  });

  it('stops the upstream call when the client goes away mid-body, and goes on serving', async () => {
    const ctl = new AbortController();
    let step = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (step++ === 0) return c.enqueue(new Uint8Array(1024));
        ctl.abort();
        await new Promise((r) => setTimeout(r, 100));
        c.close();
      },
    });
    await expect(
      fetch(`${gw.url}/function/raw`, {
        method: 'POST',
        body,
        duplex: 'half',
        signal: ctl.signal,
      } as RequestInit),
    ).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 100));
    const again = await fetch(`${gw.url}/function/raw`, { method: 'POST', body: 'abc' });
    expect(await again.text()).toBe('3');
  });

  it('answers 413 past the body limit, declared or streamed', async () => {
    const declared = await fetch(`${gw.url}/function/echo`, { method: 'POST', body: bytes(LIMIT + 1) });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ code: 'payload_too_large' });
    const before = seen.length;
    const streamed = await fetch(`${gw.url}/function/echo`, {
      method: 'POST',
      body: chunked(LIMIT + 256 * 1024),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ code: 'payload_too_large' });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.length).toBe(before); // the replica never got a whole request
  });

  it('answers 502 for an unreachable function, 504 past the deadline, 404 for an unknown one', async () => {
    const down = await fetch(`${gw.url}/function/down`, { method: 'POST', body: 'x' });
    expect(down.status).toBe(502);
    expect(await down.json()).toMatchObject({ code: 'bad_gateway' });
    const late = await fetch(`${gw.url}/function/slow`, { method: 'POST', body: 'x' });
    expect(late.status).toBe(504);
    expect(await late.json()).toMatchObject({ code: 'timeout' });
    expect((await fetch(`${gw.url}/function/ghost`, { method: 'POST', body: 'x' })).status).toBe(404);
  });

  it('spreads calls over replicas and skips one that refuses connections', async () => {
    const before = seen.length;
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${gw.url}/function/pool`, { method: 'POST', body: `n${i}` });
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(`n${i}`);
    }
    const hits = seen.slice(before).map((s) => s.replica);
    expect(hits.filter((h) => h === 'a').length).toBeGreaterThanOrEqual(2);
    expect(hits.filter((h) => h === 'b').length).toBeGreaterThanOrEqual(2);
  });

  it('answers 429 past max in flight', async () => {
    const calls = Array.from({ length: 5 }, () =>
      fetch(`${gw.url}/function/slow`, { method: 'POST', body: 'x' }),
    );
    const statuses = (await Promise.all(calls)).map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 429).length).toBe(2);
    expect(statuses.filter((s) => s === 504).length).toBe(3);
  });

  it('counts calls in the metrics; GET, in-process functions and /system go on as before', async () => {
    const get = await fetch(`${gw.url}/function/echo`);
    expect(get.status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ bytes: 0 });
    const inproc = await fetch(`${gw.url}/function/inproc`, { method: 'POST', body: 'hi' });
    expect(await inproc.text()).toBe('in-process hi');
    expect((await fetch(`${gw.url}/system/functions`)).status).toBe(401);
    // A dot segment leaves the streaming path: the Web handler resolves it as it always did (sent as is:
    // fetch and a URL string would resolve it on the client).
    const dotted = await new Promise<number>((resolve, reject) => {
      const { hostname, port } = new URL(gw.url);
      const path = '/function/echo/../../system/functions';
      const r = request({ hostname, port, path, method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      r.on('error', reject);
      r.end('x');
    });
    expect(dotted).toBe(401);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/gateway_function_invocation_total\{code="200",function_name="echo"\} [3-9]/);
    expect(text).toMatch(/gateway_function_invocation_total\{code="502",function_name="down"\} 1/);
    expect(text).toMatch(/gateway_function_invocation_total\{code="504",function_name="slow"\} [1-9]/);
    expect(text).toMatch(/gateway_function_invocation_total\{code="200",function_name="inproc"\} 1/);
  });
});

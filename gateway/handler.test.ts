import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthHeader } from '../core/http/basic-auth.js';
import { type RunningServer, serve } from '../core/http/serve.js';
import { silentLogger } from '../core/log.js';
import { Secret } from '../core/secrets.js';
import { freePort } from '../runner/free-port.js';
import { createGatewayHandler } from './handler.js';
import { GatewayMetrics } from './metrics.js';
import type { FunctionSpec } from './stack.js';
import type { Upstream } from './upstream.js';

const echo = async (req: Request) =>
  new Response(
    JSON.stringify({
      method: req.method,
      url: req.url,
      body: await req.text(),
      callId: req.headers.get('x-call-id'),
    }),
    {
      headers: { 'content-type': 'application/json' },
    },
  );

const fns: FunctionSpec[] = [
  {
    name: 'echo',
    image: 'x/echo',
    labels: { a: 'b' },
    annotations: { topic: 'logs.raw' },
    environment: { REDIS_URL: 'redis://u:pw@h:6379' },
    secrets: [],
  },
  { name: 'remote', image: 'x/remote', labels: {}, annotations: {}, environment: {}, secrets: [] },
  { name: 'down', image: 'x/down', labels: {}, annotations: {}, environment: {}, secrets: [] },
  { name: 'slow', image: 'x/slow', labels: {}, annotations: {}, environment: {}, secrets: [] },
];
const auth = { authorization: basicAuthHeader('admin', 's3cret') };
let remote: RunningServer;
let gw: (r: Request) => Promise<Response>;

beforeAll(async () => {
  remote = await serve(echo, {
    port: 0,
    host: '127.0.0.1',
    maxBodyBytes: 1e6,
    maxInflight: 10,
    timeoutMs: 5000,
  });
  const ups = new Map<string, Upstream>([
    ['echo', { kind: 'handler', handler: echo }],
    ['remote', { kind: 'url', urls: [remote.url] }],
    ['down', { kind: 'url', urls: ['http://127.0.0.1:1'] }],
    [
      'slow',
      { kind: 'handler', handler: () => new Promise((r) => setTimeout(() => r(new Response('late')), 2000)) },
    ],
  ]);
  gw = createGatewayHandler({
    functions: fns,
    upstream: (n) => ups.get(n),
    available: (n) => (n === 'down' ? 0 : 1),
    envProcess: (n) => `node dist/functions/${n}.mjs`,
    credentials: { user: 'admin', password: new Secret('s3cret') },
    metrics: new GatewayMetrics(),
    timeoutMs: 300,
    logger: silentLogger,
  });
});
afterAll(() => remote.close());

const req = (path: string, init?: RequestInit) => gw(new Request(`http://gw${path}`, init));

describe('gateway', () => {
  it('answers /healthz', async () => {
    expect((await req('/healthz')).status).toBe(200);
  });

  it('guards /system/* with basic auth', async () => {
    expect((await req('/system/functions')).status).toBe(401);
    const wrong = await req('/system/functions', {
      headers: { authorization: basicAuthHeader('admin', 'nope') },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'unauthorized' });
  });

  it.each([
    ['missing', undefined, /no credentials given/],
    ['wrong', basicAuthHeader('admin', 'nope'), /^wrong user or password$/],
    ['wrong', basicAuthHeader('root', 'x'), /^wrong user or password$/],
    ['malformed', 'Bearer abc', /not HTTP Basic/],
    ['malformed', `Basic ${Buffer.from('no-colon').toString('base64')}`, /not HTTP Basic/],
  ])('tells a %s password apart (%s) and sends the Basic challenge', async (reason, authorization, text) => {
    const r = await req('/system/functions', authorization ? { headers: { authorization } } : undefined);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Basic realm="[^"]+"/);
    const body = (await r.json()) as { error: string; details: { reason: string } };
    expect(body.error).toMatch(text);
    expect(body.details.reason).toBe(reason);
  });

  it('lists functions as FunctionStatus with annotations and redacted URLs', async () => {
    const r = await req('/system/functions', { headers: auth });
    expect(r.status).toBe(200);
    const list = (await r.json()) as Record<string, unknown>[];
    expect(list.map((f) => f.name)).toEqual(['echo', 'remote', 'down', 'slow']);
    expect(list[0]).toMatchObject({
      name: 'echo',
      image: 'x/echo',
      annotations: { topic: 'logs.raw' },
      labels: { a: 'b' },
      replicas: 1,
      availableReplicas: 1,
      envProcess: 'node dist/functions/echo.mjs',
    });
    expect(JSON.stringify(list)).not.toContain('pw@');
    expect(list[2]).toMatchObject({ availableReplicas: 0 });
    const one = await req('/system/function/echo', { headers: auth });
    expect(((await one.json()) as { name: string }).name).toBe('echo');
    expect((await req('/system/function/nope', { headers: auth })).status).toBe(404);
  });

  it('invokes an in-process function with sub-path, query, body and a call id', async () => {
    const r = await req('/function/echo/sub/path?x=1', { method: 'POST', body: 'hello' });
    expect(r.status).toBe(200);
    const j = (await r.json()) as { url: string; body: string; callId: string };
    expect(new URL(j.url).pathname + new URL(j.url).search).toBe('/sub/path?x=1');
    expect(j.body).toBe('hello');
    expect(j.callId).toBe(r.headers.get('x-call-id'));
    expect(r.headers.get('x-duration-seconds')).toBeTruthy();
  });

  it('accepts name.namespace as OpenFaaS does', async () => {
    const r = await req('/function/echo.openfaas-fn', { method: 'POST', body: 'ns' });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ body: 'ns' });
  });

  it('proxies to a URL upstream', async () => {
    const r = await req('/function/remote?q=2', { method: 'PUT', body: 'abc' });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ method: 'PUT', body: 'abc' });
  });

  it('answers 404 for unknown functions, 502 for unreachable ones, 504 past the deadline', async () => {
    expect((await req('/function/ghost', { method: 'POST', body: 'x' })).status).toBe(404);
    const down = await req('/function/down', { method: 'POST', body: 'x' });
    expect(down.status).toBe(502);
    expect(await down.json()).toMatchObject({ code: 'bad_gateway' });
    expect((await req('/function/slow', { method: 'POST', body: 'x' })).status).toBe(504);
  });

  it('exports Prometheus metrics with OpenFaaS names', async () => {
    await req('/function/echo', { method: 'POST', body: 'x' });
    const text = await (await req('/metrics')).text();
    expect(text).toMatch(/gateway_function_invocation_total\{code="200",function_name="echo"\} \d+/);
    expect(text).toContain('gateway_functions_seconds_bucket');
  });

  it('counts the calls a connector reports (POST /system/invocations, admin only)', async () => {
    const count = async (code: number) => {
      const text = await (await req('/metrics')).text();
      const m = new RegExp(
        `gateway_function_invocation_total\\{code="${code}",function_name="remote"\\} (\\d+)`,
      ).exec(text);
      return Number(m?.[1] ?? 0);
    };
    const before = await count(200);
    const report = JSON.stringify([
      { function: 'remote', code: 200, seconds: 0.02 },
      { function: 'remote', code: 200, seconds: 0.03 },
      { function: 'remote', code: 429, seconds: 0.001 },
    ]);
    expect((await req('/system/invocations', { method: 'POST', body: report })).status).toBe(401);
    const ok = await req('/system/invocations', { method: 'POST', body: report, headers: auth });
    expect(await ok.json()).toEqual({ recorded: 3 });
    expect(await count(200)).toBe(before + 2);
    expect(await count(429)).toBe(1);
    const bad = await req('/system/invocations', {
      method: 'POST',
      body: '[{"function":"nope","code":200,"seconds":1}]',
      headers: auth,
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/function must name a function/);
    expect((await req('/system/invocations', { headers: auth })).status).toBe(405);
    // The function status counts them too (faas-cli list).
    const st = (await (await req('/system/function/remote', { headers: auth })).json()) as {
      invocationCount: number;
    };
    expect(st.invocationCount).toBeGreaterThanOrEqual(3);
  });

  it('answers 503 for async invocations without a broker', async () => {
    expect((await req('/async-function/echo', { method: 'POST', body: 'x' })).status).toBe(503);
  });

  it('spreads calls over replicas and skips one that refuses connections', async () => {
    const hits: string[] = [];
    const mk = (id: string) =>
      serve(
        async () => {
          hits.push(id);
          return new Response(id);
        },
        {
          port: 0,
          host: '127.0.0.1',
          maxBodyBytes: 1e6,
          maxInflight: 10,
          timeoutMs: 5000,
        },
      );
    const [a, b] = await Promise.all([mk('a'), mk('b')]);
    const closed = `http://127.0.0.1:${await freePort()}`;
    const pool: Upstream = { kind: 'url', urls: [a.url, closed, b.url] };
    const g = createGatewayHandler({
      functions: [{ name: 'pool', image: 'p', labels: {}, annotations: {}, environment: {}, secrets: [] }],
      upstream: () => pool,
      available: () => 2,
      envProcess: () => '',
      credentials: { user: 'admin', password: new Secret('s3cret') },
      metrics: new GatewayMetrics(),
      timeoutMs: 2000,
      logger: silentLogger,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await g(new Request('http://gw/function/pool', { method: 'POST', body: 'x' }))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(hits.filter((h) => h === 'a').length).toBeGreaterThanOrEqual(2);
    expect(hits.filter((h) => h === 'b').length).toBeGreaterThanOrEqual(2);
    const st = (await (await g(new Request('http://gw/system/function/pool', { headers: auth }))).json()) as {
      replicas: number;
      availableReplicas: number;
    };
    expect(st).toMatchObject({ replicas: 3, availableReplicas: 2 });
    await Promise.all([a.close(), b.close()]);
  });
});

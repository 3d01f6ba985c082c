// The server adapter over a real socket: health, readiness, 413, 429, 504, errors as JSON, drain on close.
import { afterEach, describe, expect, it } from 'vitest';
import { BadRequestError } from '../errors.js';
import { type Handler, type RunningServer, serve } from './serve.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const start = async (h: Handler, o: Partial<Parameters<typeof serve>[1]> = {}) => {
  server = await serve(h, {
    port: 0,
    host: '127.0.0.1',
    maxBodyBytes: 1024,
    maxInflight: 2,
    timeoutMs: 500,
    ...o,
  });
  return server.url;
};

describe('serve', () => {
  it('answers health and readiness, and passes requests to the handler', async () => {
    let ready = false;
    const url = await start(
      async (r) => new Response(`${r.method} ${new URL(r.url).pathname} ${await r.text()}`),
      {
        ready: () => ready,
      },
    );
    expect((await fetch(`${url}/_/health`)).status).toBe(200);
    expect((await fetch(`${url}/_/ready`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${url}/_/ready`)).status).toBe(200);
    expect(await (await fetch(`${url}/x?y=1`, { method: 'POST', body: 'hi' })).text()).toBe('POST /x hi');
  });

  it('refuses bodies over the limit with 413 JSON', async () => {
    const url = await start(async () => new Response('ok'));
    const r = await fetch(url, { method: 'POST', body: 'x'.repeat(2000) });
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('sheds load past max in flight with 429', async () => {
    const url = await start(() => new Promise((r) => setTimeout(() => r(new Response('ok')), 200)));
    const all = await Promise.all([1, 2, 3].map(() => fetch(url, { method: 'POST', body: 'x' })));
    expect(all.map((r) => r.status).sort()).toEqual([200, 200, 429]);
  });

  it('answers 504 past the deadline', async () => {
    const url = await start(() => new Promise((r) => setTimeout(() => r(new Response('late')), 2000)), {
      timeoutMs: 100,
    });
    const r = await fetch(url);
    expect(r.status).toBe(504);
    expect(await r.json()).toMatchObject({ code: 'timeout' });
  });

  it('maps HttpErrors to their status and hides unknown errors behind a 500', async () => {
    const url = await start(async (r) => {
      if (new URL(r.url).pathname === '/bad') throw new BadRequestError('no lines');
      throw new Error('secret internals');
    });
    const bad = await fetch(`${url}/bad`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'no lines' });
    const boom = await fetch(`${url}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.text()).not.toContain('secret internals');
  });

  it('drains in-flight requests on close and turns unready', async () => {
    const url = await start(() => new Promise((r) => setTimeout(() => r(new Response('done')), 300)));
    const pending = fetch(url, { method: 'POST', body: 'x' });
    const s = server!;
    // Close only once the request is in the handler (a fixed 50 ms wait raced the connection on a
    // loaded machine, and then the test hung until its timeout).
    for (let i = 0; i < 500 && s.inflight() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.inflight()).toBe(1);
    server = undefined;
    const closing = s.close();
    const res = await pending;
    expect(await res.text()).toBe('done');
    await closing;
  });
});

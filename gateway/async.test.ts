// /async-function/{name}: 202 at once, the call goes through the broker, the result reaches X-Callback-Url.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../core/broker/memory.js';
import { type RunningServer, serve } from '../core/http/serve.js';
import { silentLogger } from '../core/log.js';
import { Secret } from '../core/secrets.js';
import { type RunningGateway, startGateway } from './start.js';

let gw: RunningGateway;
let callback: RunningServer;
const received: { headers: Record<string, string>; body: string }[] = [];

beforeAll(async () => {
  callback = await serve(
    async (req) => {
      received.push({ headers: Object.fromEntries(req.headers), body: await req.text() });
      return new Response('ok');
    },
    { port: 0, host: '127.0.0.1', maxBodyBytes: 1e6, maxInflight: 10, timeoutMs: 5000 },
  );
  gw = await startGateway({
    functions: [{ name: 'shout', image: 'x', labels: {}, annotations: {}, environment: {}, secrets: [] }],
    upstreams: new Map([
      [
        'shout',
        { kind: 'handler', handler: async (r: Request) => new Response((await r.text()).toUpperCase()) },
      ],
    ]),
    credentials: { user: 'admin', password: new Secret('pw') },
    port: 0,
    host: '127.0.0.1',
    timeoutMs: 5000,
    maxBodyBytes: 1e6,
    maxInflight: 10,
    logger: silentLogger,
    broker: createMemoryBroker(),
  });
});
afterAll(async () => {
  await gw.close();
  await callback.close();
});

describe('async invocations', () => {
  it('answers 202 with a call id and posts the result to the callback URL', async () => {
    const r = await fetch(`${gw.url}/async-function/shout`, {
      method: 'POST',
      body: 'hello async',
      headers: { 'x-callback-url': `${callback.url}/done` },
    });
    expect(r.status).toBe(202);
    const callId = r.headers.get('x-call-id');
    expect(callId).toBeTruthy();
    const until = Date.now() + 5000;
    while (received.length === 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    expect(received[0].body).toBe('HELLO ASYNC');
    expect(received[0].headers).toMatchObject({
      'x-call-id': callId,
      'x-function-status': '200',
      'x-function-name': 'shout',
    });
  });

  it('answers 404 for an unknown function without queueing it', async () => {
    expect((await fetch(`${gw.url}/async-function/nope`, { method: 'POST', body: 'x' })).status).toBe(404);
  });
});

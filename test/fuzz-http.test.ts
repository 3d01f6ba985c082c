// Fuzzes every HTTP endpoint of the stack (gateway routes and each function through it) with random
// and malformed methods, headers and bodies: always an answer, never a 5xx, never a crash, and the
// stack still counts correctly afterwards.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_BATCH_TYPE } from '../core/event-batch.js';
import { EVENT_BATCH_BIN_TYPE, encodeEventBatchBin } from '../core/event-batch-bin.js';
import { seededRandom } from '../core/random.js';
import type { EmbeddedStack } from '../runner/embedded.js';
import { startFuzzStack } from './support/fuzz-stack.js';
import { randomEvents } from './support/random-events.js';

const rng = seededRandom;

let stack: EmbeddedStack;
beforeAll(async () => {
  stack = await startFuzzStack('fuzz:', 'logfaas-fuzz-');
});
afterAll(() => stack?.stop());

describe('HTTP fuzz', () => {
  it('never answers 5xx to random and malformed requests on any endpoint', async () => {
    const r = rng(1234);
    const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
    const paths = [
      '/function/producer',
      '/function/producer?source=%00%ff',
      '/function/parse-log',
      '/function/parse-log?format=<Date> <Content>',
      '/function/parse-log?format=<<<',
      '/function/detect-anomaly',
      '/function/stats',
      '/function/stats?window=-5m',
      '/function/stats?window=99999d',
      '/function/search?q=%00%ff&limit=99999',
      '/function/search?incident=zz&context=9999',
      '/function/search?cursor=!!!&level=loud&from=x',
      '/function/nope',
      '/async-function/nope',
      '/system/functions',
      '/system/function/%2e%2e',
      '/system/dead-letters?limit=abc',
      '/healthz',
      '/metrics',
      '/ui/',
      '/ui/../../etc/passwd',
      '/%%%',
      '/function/',
    ];
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
    const types = [
      'text/plain',
      'application/json',
      'application/x-ndjson',
      'application/vnd.logfaas.batch+json',
      EVENT_BATCH_TYPE,
      EVENT_BATCH_BIN_TYPE,
      'image/png',
      'x/y; charset=utf-99',
      '',
    ];
    const bodies = [
      () => new Uint8Array(Array.from({ length: Math.floor(r() * 4000) }, () => Math.floor(r() * 256))),
      () => new TextEncoder().encode('{"lines": [1, 2, {"x": null}], "labels": "no"}'),
      () =>
        new TextEncoder().encode('{"systems":["nope"],"lines":-1,"rate":"fast","scenarios":[{"name":"x"}]}'),
      () => new TextEncoder().encode('{"systems":["api"],"lines":10,"seed":1}'),
      () => new TextEncoder().encode(`${'{"v":1,'.repeat(50)}\n\u0000\u0000\n\n   \n`),
      () =>
        new TextEncoder().encode(
          '2026-02-07 06:34:01 - GET /api/users - 200 - 45ms\n<img src=x onerror=alert(1)>\n',
        ),
      () => new TextEncoder().encode(`${'x'.repeat(200_000)}\nshort line\n`),
      () => gzipSync('gzipped line one\ngzipped line two\n'),
      () => new Uint8Array(0),
      // A binary event batch, whole or with a few bytes changed (detect-anomaly reads it by content type).
      () => binBatch,
      () => {
        const b = binBatch.slice();
        for (let k = 0; k < 3; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
        return b;
      },
    ];
    const binBatch = encodeEventBatchBin(randomEvents(50, 3));
    const statuses = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const method = pick(methods);
      const headers: Record<string, string> = {};
      const type = pick(types);
      if (type) headers['content-type'] = type;
      if (r() < 0.2) headers['content-encoding'] = pick(['gzip', 'br', 'identity']);
      if (r() < 0.2) headers['x-log-format'] = pick(['<Date> <Time> <Content>', '<>', '((((', '<Content']);
      if (r() < 0.2) headers['x-batch-id'] = pick(['', 'a'.repeat(500), '../../x', 'b1']);
      if (r() < 0.2) headers.authorization = pick(['Basic !!!', 'Basic YWRtaW46ZnV6ei1wdw==', 'Bearer x']);
      const body = method === 'GET' || method === 'HEAD' ? undefined : pick(bodies)();
      const path = pick(paths);
      const res = await fetch(`${stack.gatewayUrl}${path}`, {
        method,
        headers,
        body: body as unknown as BodyInit,
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `${method} ${path} ${type} -> ${res.status}`).toBeLessThan(500);
    }
    expect(statuses.size).toBeGreaterThan(3);
  });

  it('answers 200 or 400, never 5xx, to binary event batches cut short or changed at random', async () => {
    const r = rng(99);
    const whole = encodeEventBatchBin(randomEvents(40, 8));
    const seen = new Set<number>();
    for (let i = 0; i < 60; i++) {
      let body = whole.slice();
      if (i % 3 === 0) body = body.subarray(0, Math.floor(r() * body.length));
      else for (let k = 0; k < 1 + (i % 4); k++) body[Math.floor(r() * body.length)] = Math.floor(r() * 256);
      const res = await fetch(`${stack.gatewayUrl}/function/detect-anomaly`, {
        method: 'POST',
        headers: { 'content-type': EVENT_BATCH_BIN_TYPE, 'x-batch-id': `bin-fuzz-${i}` },
        body,
      });
      const text = await res.text();
      seen.add(res.status);
      expect([200, 400], `${res.status}: ${text.slice(0, 200)}`).toContain(res.status);
      if (res.status === 400) expect(JSON.parse(text).error).toMatch(/vnd\.logfaas\.events\.bin|no usable/);
    }
    expect(seen).toEqual(new Set([200, 400]));
  });

  it('still counts correctly after the fuzzing', async () => {
    const before = (await (await fetch(`${stack.gatewayUrl}/function/stats`)).json()) as { total: number };
    const r = await fetch(`${stack.gatewayUrl}/function/producer?source=after-fuzz`, {
      method: 'POST',
      body: '2026-02-07 06:34:01 - GET /api/users - 200 - 45ms\n2026-02-07 06:34:02 - GET /api/users - 500 - 45ms\n',
    });
    expect(((await r.json()) as { accepted: number }).accepted).toBe(2);
    const until = Date.now() + 10_000;
    let total = before.total;
    while (total < before.total + 2 && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 50));
      total = ((await (await fetch(`${stack.gatewayUrl}/function/stats`)).json()) as { total: number }).total;
    }
    expect(total).toBe(before.total + 2);
  });
});

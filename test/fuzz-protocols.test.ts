// Fuzzes the producer's shipper endpoints (OTLP/HTTP logs, Loki push) through the gateway: random
// bytes, real clients' payloads (captured from the OpenTelemetry SDK exporters and Loki's push.proto)
// flipped, cut and spliced, deep nesting, wrong types and encodings. Always a 2xx or a 4xx with a
// message, never a 5xx or a crash, and the stack still counts exactly afterwards.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { compress } from 'snappyjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../core/random.js';
import type { EmbeddedStack } from '../runner/embedded.js';
import { lokiProto } from './loki-push.js';
import { exportWithSdk } from './otel-export.js';
import { startFuzzStack } from './support/fuzz-stack.js';

const OTLP = '/function/producer/v1/logs';
const LOKI = '/function/producer/loki/api/v1/push';
const enc = (s: string) => new TextEncoder().encode(s);

let stack: EmbeddedStack;
/** Request bodies the SDK's two OTLP exporters really send, captured by a local server. */
const captured: { json: Uint8Array[]; protobuf: Uint8Array[] } = { json: [], protobuf: [] };

async function captureSdkBodies(): Promise<void> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const type = req.headers['content-type'] ?? '';
      (type.includes('json') ? captured.json : captured.protobuf).push(new Uint8Array(Buffer.concat(chunks)));
      res.writeHead(200, { 'content-type': type }).end(type.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`;
  const records = Array.from({ length: 20 }, (_, i) => ({
    body: i % 3 === 0 ? { nested: [i, 'x', { deep: true }] } : `fuzz seed line ${i}`,
    severityNumber: (i % 24) + 1,
    severityText: i % 2 ? 'WARN' : undefined,
    timeMs: Date.now() - i,
    attributes: { i, s: 'v', b: i % 2 === 0, f: i / 3, list: ['a', 1] },
  }));
  for (const encoding of ['json', 'protobuf'] as const)
    await exportWithSdk({ url, encoding, service: `fuzz-${encoding}`, records });
  await new Promise<void>((r) => server.close(() => r()));
}

beforeAll(async () => {
  await captureSdkBodies();
  stack = await startFuzzStack('fuzz-proto:', 'logfaas-fuzz-proto-');
}, 60_000);
afterAll(() => stack?.stop());

/** AnyValue nested `depth` arrays deep, as protobuf (built inside out). */
function deepProtoValue(depth: number): Uint8Array {
  const lenPrefixed = (tag: number, body: Uint8Array) => {
    const len: number[] = [];
    for (let n = body.length; ; n = Math.floor(n / 128)) {
      if (n < 128) {
        len.push(n);
        break;
      }
      len.push((n % 128) | 0x80);
    }
    return Uint8Array.from([tag, ...len, ...body]);
  };
  let v = Uint8Array.from([0x0a, 0x01, 0x78]); // AnyValue { string_value: "x" }
  for (let i = 0; i < depth; i++) v = lenPrefixed(0x2a, lenPrefixed(0x0a, v)); // array_value { values }
  // ExportLogsServiceRequest { resource_logs { scope_logs { log_records { body } } } }
  return lenPrefixed(0x0a, lenPrefixed(0x12, lenPrefixed(0x12, lenPrefixed(0x2a, v))));
}

describe('shipper endpoints fuzz', () => {
  it('never answers 5xx to random and malformed OTLP and Loki requests', async () => {
    expect(captured.json.length).toBeGreaterThan(0);
    expect(captured.protobuf.length).toBeGreaterThan(0);
    const r = seededRandom(4242);
    const int = (n: number) => Math.floor(r() * n);
    const pick = <T>(a: readonly T[]) => a[int(a.length)];
    const randomBytes = () => Uint8Array.from({ length: int(3000) }, () => int(256));
    const mutate = (b: Uint8Array): Uint8Array => {
      const out = Uint8Array.from(b);
      const kind = int(4);
      if (kind === 0) for (let i = int(8) + 1; i > 0; i--) out[int(out.length)] ^= 1 << int(8);
      else if (kind === 1) return out.subarray(0, int(out.length));
      else if (kind === 2) {
        const at = int(out.length);
        return Uint8Array.from([
          ...out.subarray(0, at),
          ...randomBytes().subarray(0, 40),
          ...out.subarray(at),
        ]);
      } else for (let i = int(20) + 1; i > 0; i--) out[int(out.length)] = int(256);
      return out;
    };
    const lokiSeed = () =>
      lokiProto([
        {
          labels: pick(['{job="a"}', '{service_name="s", app="x"}', '{}', '{a="\\"q\\""}']),
          entries: Array.from({ length: int(5) + 1 }, (_, i) => ({
            ns: BigInt(Date.now()) * 1_000_000n + BigInt(i),
            line: `loki fuzz ${i}`,
            meta: i % 2 ? { k: 'v' } : undefined,
          })),
        },
      ]);
    const lokiJson = () =>
      JSON.stringify({
        streams: [
          { stream: { app: 'fz' }, values: [[`${BigInt(Date.now()) * 1_000_000n}`, 'loki json fuzz']] },
        ],
      });
    const deepJson = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${'{"arrayValue":{"values":['.repeat(3000)}{"stringValue":"x"}${']}}'.repeat(3000)}}]}]}]}`;
    const otlpBodies = [
      () => pick(captured.protobuf),
      () => mutate(pick(captured.protobuf)),
      () => mutate(pick(captured.json)),
      () => pick(captured.json),
      () => gzipSync(mutate(pick(captured.protobuf))),
      () => deepProtoValue(int(2) ? 40 : 2000),
      () => enc(deepJson),
      () =>
        enc('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"99999999999999999999999"}]}]}]}'),
      () => enc('{"resourceLogs":[{"resource":{"attributes":[{"key":1}]}}]}'),
      () =>
        enc('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"SEVERITY_NUMBER_NOPE"}]}]}]}'),
      () => enc('[]'),
      randomBytes,
      () => new Uint8Array(0),
    ];
    const lokiBodies = [
      lokiSeed,
      () => mutate(lokiSeed()),
      () => compress(mutate(lokiProto([{ labels: '{job="m"}', entries: [{ ns: 1n, line: 'm' }] }]))),
      () => compress(randomBytes()),
      () => enc(lokiJson()),
      () => mutate(enc(lokiJson())),
      () => gzipSync(lokiJson()),
      () => enc('{"streams":[{"stream":{"a":"b"},"values":[["-1","x"],["1e30","y"]]}]}'),
      () => enc('{"streams":[{"stream":null,"values":[[1,"x",{"k":5}]]}]}'),
      () => enc(`{"streams":[${'['.repeat(100_000)}`),
      randomBytes,
      () => new Uint8Array(0),
    ];
    const types = [
      'application/json',
      'application/x-protobuf',
      'application/protobuf',
      'text/plain',
      '',
      'x/y; q=1',
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 500; i++) {
      const otlp = r() < 0.5;
      const path = otlp ? OTLP : LOKI;
      const method = r() < 0.95 ? 'POST' : pick(['GET', 'PUT', 'DELETE']);
      const body = method === 'GET' ? undefined : pick(otlp ? otlpBodies : lokiBodies)();
      const headers: Record<string, string> = {};
      const type = r() < 0.8 ? (otlp ? pick(types.slice(0, 3)) : pick(types.slice(0, 2))) : pick(types);
      if (type) headers['content-type'] = type;
      if (r() < 0.2) headers['content-encoding'] = pick(['gzip', 'snappy', 'br', 'identity', '']);
      const res = await fetch(`${stack.gatewayUrl}${path}`, {
        method,
        headers,
        body: body as unknown as BodyInit,
      });
      const text = new Uint8Array(await res.arrayBuffer());
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(
        res.status,
        `${method} ${path} ${type} ${headers['content-encoding'] ?? ''} -> ${res.status}`,
      ).toBeLessThan(500);
      // A refusal always says why (JSON, or a protobuf Status for OTLP protobuf requests).
      if (res.status >= 400) expect(text.length).toBeGreaterThan(0);
    }
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThan(2);
  }, 120_000);

  it('still counts exactly after the fuzzing', async () => {
    const total = async () =>
      ((await (await fetch(`${stack.gatewayUrl}/function/stats`)).json()) as { total: number }).total;
    // Let what the fuzzing published drain first.
    let before = await total();
    for (let settled = 0; settled < 5; ) {
      await new Promise((res) => setTimeout(res, 200));
      const now = await total();
      settled = now === before ? settled + 1 : 0;
      before = now;
    }
    const otlp = await fetch(`${stack.gatewayUrl}${OTLP}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  { body: { stringValue: `after fuzz ${Date.now()}` } },
                  { body: { stringValue: 'b' } },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(otlp.status).toBe(200);
    const loki = await fetch(`${stack.gatewayUrl}${LOKI}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: lokiProto([
        { labels: '{app="after"}', entries: [{ ns: BigInt(Date.now()) * 1_000_000n, line: 'after' }] },
      ]),
    });
    expect(loki.status).toBe(204);
    const until = Date.now() + 10_000;
    let now = before;
    while (now < before + 3 && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 50));
      now = await total();
    }
    expect(now).toBe(before + 3);
  }, 30_000);
});

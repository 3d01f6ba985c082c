import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Broker } from '../../core/broker/types.js';
import { type RunningServer, serve } from '../../core/http/serve.js';
import type { LineMeta } from '../../core/line-meta.js';
import { silentLogger } from '../../core/log.js';
import { exportWithSdk } from '../../test/otel-export.js';
import { brokerWithRawQueue, drain, failingAfter } from '../../test/support/test-broker.js';
import { loadProducerConfig } from './config.js';
import { createProducerHandler } from './handler.js';
import { exportResponse, severityLevel } from './otlp.js';
import { ProtoReader, ProtoWriter } from './protobuf.js';

interface Envelope {
  source: string;
  lines: string[];
  meta: LineMeta[];
}

async function setup(env: Record<string, string> = {}, wrap?: (b: Broker) => Broker) {
  const raw = await brokerWithRawQueue();
  const broker = wrap ? wrap(raw) : raw;
  const config = loadProducerConfig({ SECRETS_DIR: '/nonexistent', ...env });
  const handler = createProducerHandler({ broker, config, logger: silentLogger });
  const post = (body: BodyInit, headers: Record<string, string>, path = '/v1/logs') =>
    handler(new Request(`http://producer${path}`, { method: 'POST', body, headers }));
  const envelopes = async () =>
    (await drain(raw)).map((d) => ({
      id: d.messageId,
      ...(JSON.parse(new TextDecoder().decode(d.body)) as Envelope),
    }));
  return { handler, post, envelopes, raw };
}

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const T0 = Date.UTC(2026, 11, 7, 6, 0, 0, 123);

/** An OTLP/JSON request as the spec writes it (lowerCamelCase, 64-bit integers as strings). */
function jsonRequest(records: object[], service = 'checkout') {
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: service } },
            { key: 'host.name', value: { stringValue: 'web-1' } },
            { key: 'k8s.pod.name', value: { stringValue: 'checkout-7f9' } },
          ],
        },
        scopeLogs: [{ scope: { name: 'app' }, logRecords: records }],
      },
    ],
  };
}

describe('OTLP/HTTP logs endpoint', () => {
  it('maps severity numbers onto the six levels (logs data model ranges)', () => {
    const table = [0, 1, 4, 5, 9, 12, 13, 17, 20, 21, 24, 25].map((n) => [n, severityLevel(n)]);
    expect(table).toEqual([
      [0, undefined],
      [1, 'trace'],
      [4, 'trace'],
      [5, 'debug'],
      [9, 'info'],
      [12, 'info'],
      [13, 'warn'],
      [17, 'error'],
      [20, 'error'],
      [21, 'fatal'],
      [24, 'fatal'],
      [25, undefined],
    ]);
  });

  it('takes the official OpenTelemetry JS SDK, JSON and protobuf, gzip and not', async () => {
    const { handler, envelopes } = await setup({ BATCH_LINES: '3' });
    const server = await serve(handler, {
      port: 0,
      host: '127.0.0.1',
      maxBodyBytes: 1 << 20,
      maxInflight: 4,
      timeoutMs: 10_000,
    });
    servers.push(server);
    const records = [
      { body: 'user 42 logged in', severityNumber: 9, timeMs: T0, attributes: { 'user.id': 42, ok: true } },
      { body: 'payment declined', severityNumber: 17, severityText: 'ERROR', timeMs: T0 + 1 },
      { body: 'cache miss ratio high', severityText: 'warning', timeMs: T0 + 2 },
      { body: { event: 'checkout', items: [1, 2] }, severityNumber: 5, timeMs: T0 + 3 },
    ];
    for (const encoding of ['json', 'protobuf'] as const) {
      for (const gzip of [false, true]) {
        const r = await exportWithSdk({
          url: `${server.url}/v1/logs`,
          encoding,
          gzip,
          service: `svc-${encoding}`,
          records,
        });
        expect(r, `${encoding} gzip=${gzip}`).toEqual({ codes: [0], errors: [] });
        const got = await envelopes();
        expect(got.map((e) => e.lines.length)).toEqual([3, 1]);
        expect(got.every((e) => e.source === `svc-${encoding}`)).toBe(true);
        const lines = got.flatMap((e) => e.lines);
        const meta = got.flatMap((e) => e.meta);
        expect(lines).toEqual([
          'user 42 logged in',
          'payment declined',
          'cache miss ratio high',
          '{"event":"checkout","items":[1,2]}',
        ]);
        expect(meta.map((m) => m.ts)).toEqual([T0, T0 + 1, T0 + 2, T0 + 3]);
        expect(meta.map((m) => m.level)).toEqual(['info', 'error', 'warning', 'debug']);
        expect(meta[0]).toMatchObject({
          service: `svc-${encoding}`,
          host: 'test-host',
          fields: { 'user.id': 42, ok: true },
        });
        expect(meta[1].fields?.['service.name']).toBeUndefined();
      }
    }
  });

  it('reads OTLP/JSON as the spec writes it, proto field names too, and keeps attributes, trace and span ids', async () => {
    const { post, envelopes } = await setup();
    const req = jsonRequest([
      {
        timeUnixNano: `${T0}456789`,
        severityNumber: 13,
        body: { stringValue: 'disk 91% full' },
        attributes: [
          { key: 'disk', value: { stringValue: '/dev/sda1' } },
          { key: 'pct', value: { doubleValue: 91.5 } },
          { key: 'n', value: { intValue: '7' } },
          { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { boolValue: true }] } } },
          { key: 'raw', value: { bytesValue: 'AAEC' } },
        ],
        traceId: '5B8EFFF798038103D269B633813FC60C',
        spanId: 'EEE19B7EC3C1B174',
      },
      {
        observed_time_unix_nano: `${T0 + 5}000000`,
        severity_text: 'Information',
        body: { string_value: 'snake' },
      },
      { body: { kvlistValue: { values: [{ key: 'a', value: { intValue: 1 } }] } } },
      {
        severityNumber: 'SEVERITY_NUMBER_ERROR2',
        traceId: 'W47/95gDgQPSabYzgT/GDA==',
        body: { stringValue: 'e' },
      },
      { severityNumber: '13', body: { stringValue: 'w' } },
    ]);
    const res = await post(JSON.stringify(req), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({});
    const [env] = await envelopes();
    expect(env.source).toBe('checkout');
    expect(env.lines).toEqual(['disk 91% full', 'snake', '{"a":1}', 'e', 'w']);
    // Enum names and numeric strings as other proto3 JSON writers send them; a non-hex id kept as given.
    expect(env.meta.slice(3).map((m) => [m.level, m.fields?.trace_id])).toEqual([
      ['error', 'W47/95gDgQPSabYzgT/GDA=='],
      ['warn', undefined],
    ]);
    expect(env.meta[0]).toEqual({
      ts: T0 + 0.456789,
      level: 'warn',
      service: 'checkout',
      host: 'web-1',
      fields: {
        'k8s.pod.name': 'checkout-7f9',
        disk: '/dev/sda1',
        pct: 91.5,
        n: 7,
        tags: '["a",true]',
        raw: 'AAEC',
        trace_id: '5b8efff798038103d269b633813fc60c',
        span_id: 'eee19b7ec3c1b174',
      },
    });
    expect(env.meta[1]).toMatchObject({ ts: T0 + 5, level: 'Information' });
    expect(env.meta[2].ts).toBeUndefined();
  });

  it('answers partial success for records over the attribute limits and publishes the rest', async () => {
    const { post, envelopes } = await setup({ MAX_ATTRIBUTES: '4', MAX_ATTRIBUTE_VALUE_BYTES: '16' });
    const attrs = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ key: `a${i}`, value: { intValue: i } }));
    const req = jsonRequest([
      { body: { stringValue: 'ok' }, attributes: attrs(1) },
      { body: { stringValue: 'too many' }, attributes: attrs(4) },
      {
        body: { stringValue: 'too long' },
        attributes: [{ key: 'x', value: { stringValue: 'y'.repeat(17) } }],
      },
      { body: { stringValue: 'ok too' } },
    ]);
    const res = await post(JSON.stringify(req), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      partialSuccess: { rejectedLogRecords: number; errorMessage: string };
    };
    expect(doc.partialSuccess.rejectedLogRecords).toBe(2);
    expect(doc.partialSuccess.errorMessage).toMatch(/MAX_ATTRIBUTES.*MAX_ATTRIBUTE_VALUE_BYTES/);
    expect((await envelopes()).flatMap((e) => e.lines)).toEqual(['ok', 'ok too']);

    // Gzip changes nothing; the protobuf answer is ExportLogsServiceResponse { partial_success = 1 {
    // rejected_log_records = 1, error_message = 2 } }, which the SDK's exporter reads as a success.
    const gz = await post(gzipSync(JSON.stringify(req)), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(((await gz.json()) as typeof doc).partialSuccess.rejectedLogRecords).toBe(2);
    const bin = new ProtoReader(new Uint8Array(await exportResponse(true, 2, 'why').arrayBuffer()));
    expect(bin.tag()).toEqual({ field: 1, wire: 2 });
    const ps = bin.sub();
    expect([ps.tag(), ps.varint(), ps.tag(), ps.string()]).toEqual([
      { field: 1, wire: 0 },
      2,
      { field: 2, wire: 2 },
      'why',
    ]);
    expect(new Uint8Array(await exportResponse(true, 0, '').arrayBuffer())).toEqual(new Uint8Array(0));
  });

  it('the SDK protobuf exporter takes a partial success as a success', async () => {
    const { handler, envelopes } = await setup({ MAX_ATTRIBUTES: '3' });
    const server = await serve(handler, {
      port: 0,
      host: '127.0.0.1',
      maxBodyBytes: 1 << 20,
      maxInflight: 4,
      timeoutMs: 10_000,
    });
    servers.push(server);
    const records = [
      { body: 'fits', timeMs: T0 },
      { body: 'too many attributes', timeMs: T0, attributes: { a: 1, b: 2, c: 3, d: 4 } },
    ];
    const r = await exportWithSdk({
      url: `${server.url}/v1/logs`,
      encoding: 'protobuf',
      service: 's',
      records,
    });
    expect(r.codes).toEqual([0]);
    expect((await envelopes()).flatMap((e) => e.lines)).toEqual(['fits']);
  });

  it('refuses a record with a bad field alone (partial success), in JSON and in protobuf', async () => {
    const { post, envelopes } = await setup();
    const req = jsonRequest([
      { body: { stringValue: 'first' } },
      { timeUnixNano: 'yesterday', body: { stringValue: 'bad time' } },
      { traceId: 7 },
      { severityNumber: 'WARN' },
      { attributes: [{ key: 1 }] },
      { body: { stringValue: 'last' } },
    ]);
    const res = await post(JSON.stringify(req), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      partialSuccess: { rejectedLogRecords: number; errorMessage: string };
    };
    expect(doc.partialSuccess.rejectedLogRecords).toBe(4);
    expect(doc.partialSuccess.errorMessage).toMatch(/timeUnixNano/);
    expect((await envelopes()).flatMap((e) => e.lines)).toEqual(['first', 'last']);

    // A bad resource refuses its own records only.
    const two = {
      resourceLogs: [
        { resource: { attributes: 'nope' }, scopeLogs: [{ logRecords: [{}, {}] }] },
        ...jsonRequest([{}]).resourceLogs,
      ],
    };
    const r2 = await post(JSON.stringify(two), { 'content-type': 'application/json' });
    expect(((await r2.json()) as typeof doc).partialSuccess.rejectedLogRecords).toBe(2);
    expect((await envelopes()).flatMap((e) => e.lines)).toEqual(['']);

    // ExportLogsServiceRequest { resource_logs { scope_logs { log_records: good, bad (wire type 7), good } } }
    const good = (text: string) =>
      new ProtoWriter().bytesField(5, new ProtoWriter().stringField(1, text).finish()).finish();
    const scope = new ProtoWriter()
      .bytesField(2, good('one'))
      .bytesField(2, new Uint8Array([0x0f]))
      .bytesField(2, good('two'))
      .finish();
    const body = new ProtoWriter().bytesField(1, new ProtoWriter().bytesField(2, scope).finish()).finish();
    const r3 = await post(body, { 'content-type': 'application/x-protobuf' });
    expect(r3.status).toBe(200);
    const ps = new ProtoReader(new Uint8Array(await r3.arrayBuffer()));
    ps.tag();
    const inner = ps.sub();
    expect([inner.tag(), inner.varint()]).toEqual([{ field: 1, wire: 0 }, 1]);
    expect((await envelopes()).flatMap((e) => e.lines)).toEqual(['one', 'two']);
  });

  it('refuses bad requests with a google.rpc.Status in the request encoding, publishing nothing', async () => {
    const { post, handler, envelopes } = await setup({ INGEST_MAX_RECORDS: '2' });
    const json = { 'content-type': 'application/json' };
    const protobuf = { 'content-type': 'application/x-protobuf' };
    const cases: [BodyInit, Record<string, string>, number][] = [
      ['{"resourceLogs": [', json, 400],
      ['{"resourceLogs": {}}', json, 400],
      [JSON.stringify(jsonRequest([{}, {}, {}])), json, 413],
      ['hello', { 'content-type': 'text/plain' }, 415],
      ['{}', { ...json, 'content-encoding': 'br' }, 415],
      ['not gzip', { ...json, 'content-encoding': 'gzip' }, 400],
      [new Uint8Array([0x0a, 0x05, 0x12]), protobuf, 400],
      [new Uint8Array([0x0f]), protobuf, 400],
    ];
    for (const [body, headers, status] of cases) {
      const res = await post(body, headers);
      expect(res.status, `${String(body).slice(0, 40)} ${JSON.stringify(headers)}`).toBe(status);
      expect(res.headers.get('content-type')).toBe(
        headers['content-type'] === 'application/x-protobuf' ? 'application/x-protobuf' : 'application/json',
      );
      if (headers['content-type'] === 'application/x-protobuf') {
        const r = new ProtoReader(new Uint8Array(await res.arrayBuffer()));
        expect(r.tag()).toEqual({ field: 1, wire: 0 });
        expect(r.varint()).toBe(3);
        expect(r.tag()).toEqual({ field: 2, wire: 2 });
        expect(r.string()).toMatch(/invalid OTLP protobuf/);
      } else {
        const doc = (await res.json()) as { code: number; message: string; status: number };
        expect(doc.status).toBe(status);
        expect(typeof doc.code).toBe('number');
        expect(doc.message.length).toBeGreaterThan(0);
      }
    }
    expect((await handler(new Request('http://producer/v1/logs'))).status).toBe(405);
    // An empty protobuf request is a valid ExportLogsServiceRequest with no records.
    expect((await post(new Uint8Array(0), protobuf)).status).toBe(200);
    expect(await envelopes()).toEqual([]);
  });

  it('a retry of the same body repeats the same batch ids; a failed publish is 503 with Retry-After', async () => {
    const { post, envelopes } = await setup({ BATCH_LINES: '1' });
    const body = JSON.stringify(
      jsonRequest([{ body: { stringValue: 'a' } }, { body: { stringValue: 'b' } }]),
    );
    const headers = { 'content-type': 'application/json' };
    expect((await post(body, headers)).status).toBe(200);
    const first = (await envelopes()).map((e) => e.id);
    expect((await post(gzipSync(body), { ...headers, 'content-encoding': 'gzip' })).status).toBe(200);
    expect((await envelopes()).map((e) => e.id)).toEqual(first);
    expect(first[0]).toMatch(/^otlp-[0-9a-f]{32}:0$/);

    const failing = await setup({ BATCH_LINES: '1', PUBLISH_CONCURRENCY: '1' }, (b) => failingAfter(b, 1));
    const res = await failing.post(body, headers);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { code: number }).code).toBe(14);
    expect((await failing.envelopes()).map((e) => e.id)).toEqual([first[0]]);
  });
});

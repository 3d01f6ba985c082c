import { gzipSync } from 'node:zlib';
import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import type { LineMeta } from '../../core/line-meta.js';
import { silentLogger } from '../../core/log.js';
import { lokiProto } from '../../test/loki-push.js';
import { brokerWithRawQueue, drain } from '../../test/support/test-broker.js';
import { loadProducerConfig } from './config.js';
import { createProducerHandler } from './handler.js';
import { parseLabels } from './loki-decode.js';
import { ProtoWriter } from './protobuf.js';

interface Envelope {
  id: string;
  source: string;
  lines: string[];
  meta: LineMeta[];
}

async function setup(env: Record<string, string> = {}) {
  const broker = await brokerWithRawQueue();
  const config = loadProducerConfig({ SECRETS_DIR: '/nonexistent', ...env });
  const handler = createProducerHandler({ broker, config, logger: silentLogger });
  const post = (body: BodyInit, headers: Record<string, string>) =>
    handler(new Request('http://producer/loki/api/v1/push', { method: 'POST', body, headers }));
  const envelopes = async (): Promise<Envelope[]> =>
    (await drain(broker)).map((d) => ({ id: d.messageId, ...JSON.parse(new TextDecoder().decode(d.body)) }));
  return { handler, post, envelopes };
}

const NS = 1796623200123456789n; // 2026-12-07T06:00:00.123456789Z
const MS = 1796623200123.4568;

describe('Loki push endpoint', () => {
  it('reads the Prometheus label text of the protobuf form', () => {
    expect(parseLabels('{}')).toEqual([]);
    expect(parseLabels('{job="varlogs", filename="/var/log/a b.log"}')).toEqual([
      ['job', 'varlogs'],
      ['filename', '/var/log/a b.log'],
    ]);
    expect(parseLabels(' { a = "x\\"y\\\\z\\n" ,b="" } ')).toEqual([
      ['a', 'x"y\\z\n'],
      ['b', ''],
    ]);
    for (const bad of [
      '',
      'job="x"',
      '{job=x}',
      '{1a="x"}',
      '{a="x"',
      '{a="x"} extra',
      '{a="\\q"}',
      '{a="x" b="y"}',
    ])
      expect(() => parseLabels(bad), bad).toThrow(/stream labels/);
  });

  it('takes a JSON push: source from service_name, app or job, other labels and metadata as fields, ns time', async () => {
    const { post, envelopes } = await setup();
    const push = {
      streams: [
        {
          stream: { job: 'varlogs', app: 'nginx', filename: '/var/log/nginx/access.log' },
          values: [
            [NS.toString(), '10.0.0.1 - - [07/Dec/2026:06:00:00 +0000] "GET / HTTP/1.1" 200 12'],
            [(NS + 1_000_000n).toString(), 'second line', { trace_id: 'abc' }],
          ],
        },
        {
          stream: { service_name: 'api', job: 'x', level: 'warn' },
          values: [[NS.toString(), 'slow request']],
        },
        { stream: {}, values: [[NS.toString(), 'no labels']] },
      ],
    };
    const res = await post(JSON.stringify(push), { 'content-type': 'application/json' });
    expect(res.status).toBe(204);
    const got = await envelopes();
    expect(got.map((e) => [e.source, e.lines.length])).toEqual([
      ['nginx', 2],
      ['api', 1],
      ['default', 1],
    ]);
    expect(got[0].meta[0]).toEqual({
      ts: MS,
      fields: { job: 'varlogs', filename: '/var/log/nginx/access.log' },
    });
    expect(got[0].meta[1]).toEqual({
      ts: MS + 1,
      fields: { job: 'varlogs', filename: '/var/log/nginx/access.log', trace_id: 'abc' },
    });
    expect(got[1].meta[0]).toEqual({ ts: MS, level: 'warn', fields: { job: 'x', level: 'warn' } });
    // Fluent Bit and others gzip their JSON.
    const gz = await post(gzipSync(JSON.stringify(push)), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(gz.status).toBe(204);
    expect((await envelopes()).map((e) => e.id)).toEqual(got.map((e) => e.id));
  });

  it("takes a snappy protobuf push encoded with Loki's push.proto", async () => {
    const { post, envelopes } = await setup();
    const body = lokiProto([
      {
        labels: '{job="varlogs", service_name="checkout"}',
        entries: [
          { ns: NS, line: 'order 17 paid', meta: { pod: 'p-1' } },
          { ns: NS + 2_000_000n, line: 'order 18 failed' },
        ],
      },
    ]);
    const res = await post(body, { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(204);
    const [env] = await envelopes();
    expect(env.source).toBe('checkout');
    expect(env.lines).toEqual(['order 17 paid', 'order 18 failed']);
    expect(env.meta).toEqual([
      { ts: MS, fields: { job: 'varlogs', pod: 'p-1' } },
      { ts: MS + 2, fields: { job: 'varlogs' } },
    ]);
    expect(env.id).toMatch(/^loki-[0-9a-f]{32}:0$/);

    // PushRequest { streams { labels, entries: good, corrupt (wire type 7), good } }: the corrupt one alone is refused.
    const entry = (line: string) => new ProtoWriter().stringField(2, line).finish();
    const stream = new ProtoWriter()
      .stringField(1, '{app="w"}')
      .bytesField(2, entry('one'))
      .bytesField(2, new Uint8Array([0x0f]))
      .bytesField(2, entry('two'))
      .finish();
    const res2 = await post(compress(new ProtoWriter().bytesField(1, stream).finish()), {
      'content-type': 'application/x-protobuf',
    });
    expect(res2.status).toBe(400);
    expect(await res2.json()).toMatchObject({ details: { accepted: 2, rejected: 1 } });
    expect((await envelopes()).flatMap((e) => e.lines)).toEqual(['one', 'two']);
  });

  it('refuses bad pushes with a JSON 4xx, and an entry over the limits after accepting the rest', async () => {
    const { post, handler, envelopes } = await setup({
      INGEST_MAX_RECORDS: '4',
      MAX_ATTRIBUTE_VALUE_BYTES: '8',
      MAX_DECOMPRESSED_BYTES: '1024',
    });
    const json = { 'content-type': 'application/json' };
    const pb = { 'content-type': 'application/x-protobuf' };
    const value = (line: string) => [NS.toString(), line];
    const cases: [BodyInit, Record<string, string>, number][] = [
      ['{"streams": [', json, 400],
      ['{"streams": {}}', json, 400],
      ['{"streams": [{"stream": {"a": 1}, "values": [["1", "x"]]}]}', json, 400],
      ['{"streams": [{"stream": {}, "values": [["yesterday", "x"]]}]}', json, 400],
      ['{"streams": [{"stream": {}, "values": [["1", 2]]}]}', json, 400],
      [
        JSON.stringify({ streams: [{ stream: {}, values: ['a', 'b', 'c', 'd', 'e'].map(value) }] }),
        json,
        413,
      ],
      ['plain text', { 'content-type': 'text/plain' }, 415],
      [new Uint8Array([1, 2, 3, 4]), pb, 400],
      [compress(new Uint8Array([0x0a, 0x10, 0x0a])), pb, 400],
      [lokiProto([{ labels: 'job=x', entries: [{ ns: NS, line: 'x' }] }]), pb, 400],
      // A snappy block that says it expands to 2,000 bytes, over MAX_DECOMPRESSED_BYTES.
      [new Uint8Array([0xd0, 0x0f, 0x00]), pb, 413],
    ];
    for (const [body, headers, status] of cases) {
      const res = await post(body, headers);
      expect(res.status, String(body).slice(0, 60)).toBe(status);
      const doc = (await res.json()) as { error: string; status: number };
      expect(doc.status).toBe(status);
      expect(doc.error.length).toBeGreaterThan(0);
    }
    expect((await handler(new Request('http://producer/loki/api/v1/push'))).status).toBe(405);
    expect(await envelopes()).toEqual([]);

    const mixed = {
      streams: [
        {
          stream: { app: 'a' },
          values: [
            value('fine'),
            [NS.toString(), 'too long', { k: 'v'.repeat(9) }],
            ['yesterday', 'bad time'],
          ],
        },
        { stream: { app: 7 }, values: [value('bad labels')] },
      ],
    };
    const res = await post(JSON.stringify(mixed), json);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ details: { accepted: 1, rejected: 3 } });
    expect((await envelopes()).flatMap((e) => e.lines)).toEqual(['fine']);
  });
});

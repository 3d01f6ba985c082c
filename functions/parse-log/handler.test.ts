import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../core/event.js';
import { EVENT_BATCH_TYPE } from '../../core/event-batch.js';
import { EVENT_BATCH_BIN_TYPE } from '../../core/event-batch-bin.js';
import { decodeEventBatchBin } from '../../core/event-batch-bin-read.js';
import { decodeEventBatch } from '../../core/event-batch-read.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV } from '../../core/kv/types.js';
import { silentLogger } from '../../core/log.js';
import { ENVELOPE_TYPE } from './body.js';
import { loadParseLogConfig } from './config.js';
import { createParseLogHandler } from './handler.js';
import { SOURCES_KEY, templateKey } from './template-store.js';

const config = loadParseLogConfig({});
const now = () => Date.UTC(2026, 1, 7, 12);
const make = (kv: KV) => createParseLogHandler({ kv, config, logger: silentLogger, now });
const post = (body: BodyInit, headers: Record<string, string> = {}, query = '?source=web') =>
  new Request(`http://x/function/parse-log${query}`, { method: 'POST', body, headers });
const events = async (r: Response) =>
  (await r.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

const LINES = [
  '2026-02-07 06:34:01 - GET /api/users - 200 - 45ms',
  '{"level":"error","msg":"db timeout after 300 ms","service":"api"}',
  'worker 17 started in 12ms',
  'worker 18 started in 40ms',
];

describe('parse-log handler', () => {
  it('returns one valid event per line, in order, as NDJSON with a derived batch id', async () => {
    const h = make(await createMemoryKv());
    const res = await h(post(LINES.join('\n'), { 'x-batch-id': 'b1' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    expect(res.headers.get('x-batch-id')).toBe('b1/parse-log');
    const evs = await events(res);
    expect(evs.map((e) => e.raw)).toEqual(LINES);
    for (const e of evs) expect(validateEvent(e)).toEqual([]);
    expect(evs.map((e) => e.format)).toEqual(['seed', 'json', 'plain', 'plain']);
    expect(evs[2].templateId).toBe(evs[3].templateId);
    expect(evs[2].template).toBe('worker <*> started in <*>');
    expect(evs[3].params).toEqual(['18', '40ms']);
    expect(evs.every((e) => e.source === 'web')).toBe(true);
  });

  it('answers the compact event batch when Accept asks for it, with the same events', async () => {
    const ndjsonEvents = await events(await make(await createMemoryKv())(post(LINES.join('\n'))));
    const res = await make(await createMemoryKv())(
      post(LINES.join('\n'), { accept: `${EVENT_BATCH_TYPE}, */*;q=0.5` }),
    );
    expect(res.headers.get('content-type')).toBe(EVENT_BATCH_TYPE);
    const { events: batch, rejected } = decodeEventBatch(await res.text());
    expect(rejected).toBe(0);
    expect(batch).toEqual(ndjsonEvents);
  });

  it("answers the binary batch when Accept lists it first, as the pipeline's connector does", async () => {
    const ndjsonEvents = await events(await make(await createMemoryKv())(post(LINES.join('\n'))));
    const accept = `${EVENT_BATCH_BIN_TYPE}, ${EVENT_BATCH_TYPE};q=0.9, */*;q=0.5`;
    const res = await make(await createMemoryKv())(post(LINES.join('\n'), { accept }));
    expect(res.headers.get('content-type')).toBe(EVENT_BATCH_BIN_TYPE);
    const { events: batch, rejected } = decodeEventBatchBin(new Uint8Array(await res.arrayBuffer()));
    expect(rejected).toBe(0);
    expect(batch).toEqual(ndjsonEvents);
  });

  it('reads the envelope: labels, source and format', async () => {
    const h = make(await createMemoryKv());
    const body = JSON.stringify({
      lines: ['081109 203615 148 INFO dfs.DataNode: PacketResponder 1 terminating', 'free text'],
      labels: ['normal', null],
      source: 'hdfs',
      format: '<Date> <Time> <Pid> <Level> <Component>: <Content>',
    });
    const evs = await events(await h(post(body, { 'content-type': ENVELOPE_TYPE }, '')));
    expect(evs[0]).toMatchObject({
      source: 'hdfs',
      format: 'custom',
      label: 'normal',
      timestamp: '2008-11-09T20:36:15.000Z',
    });
    expect(evs[1].label).toBeUndefined();
    expect(evs[1].problems).toContain('format_mismatch');
  });

  it('applies the envelope meta: time, level, service, host and fields win over the text', async () => {
    const h = make(await createMemoryKv());
    const body = JSON.stringify({
      lines: [
        '2024-05-01 12:00:00 WARN disk almost full',
        '127.0.0.1 - - [07/Feb/2026:06:34:01 +0000] "GET /a HTTP/1.1" 500 12',
        'no meta',
      ],
      meta: [
        { ts: 1733560000123.9, level: 'error', service: 'api', host: 'h1', fields: { pod: 'p-1', n: 3 } },
        { ts: 1733560001000 },
        null,
      ],
      source: 'otel',
    });
    const evs = await events(await h(post(body, { 'content-type': ENVELOPE_TYPE }, '')));
    expect(evs[0]).toMatchObject({
      timestamp: '2024-12-07T08:26:40.123Z',
      timestampOriginal: '2024-05-01 12:00:00',
      level: 'error',
      service: 'api',
      host: 'h1',
      message: 'disk almost full',
      fields: { pod: 'p-1', n: 3 },
    });
    // The line is still parsed as what it is (here an access log); only the time comes from meta.
    expect(evs[1]).toMatchObject({ format: 'common', timestamp: '2024-12-07T08:26:41.000Z', level: 'error' });
    expect(evs[1].http.status).toBe(500);
    expect(evs[2].timestamp).toBe(new Date(now()).toISOString());
    for (const e of evs) expect(validateEvent(e)).toEqual([]);
    const status = async (meta: unknown) =>
      (await h(post(JSON.stringify({ lines: ['x'], meta }), { 'content-type': ENVELOPE_TYPE }))).status;
    expect(await status([null])).toBe(200);
    for (const meta of [{}, [], [{ ts: '1' }], [{ fields: { a: {} } }], [[]]])
      expect(await status(meta), JSON.stringify(meta)).toBe(400);
  });

  it('never joins entries that carry meta (each is a protocol record); one holding a trace gets its stack', async () => {
    const h = make(await createMemoryKv());
    const body = JSON.stringify({
      lines: [
        'java.lang.IllegalStateException: boom\n\tat com.x.Y.run(Y.java:12)',
        '\tat com.x.Z.call(Z.java:3)',
        'Caused by: java.io.IOException: gone',
      ],
      meta: [{ ts: 1733560000000, level: 'error' }, { ts: 1733560000001 }, null],
      source: 'otel',
    });
    const evs = await events(await h(post(body, { 'content-type': ENVELOPE_TYPE }, '')));
    expect(evs).toHaveLength(3);
    expect(evs[0]).toMatchObject({ message: 'java.lang.IllegalStateException: boom', level: 'error' });
    expect(evs[0].stack).toBe('\tat com.x.Y.run(Y.java:12)');
    expect(evs[1].timestamp).toBe('2024-12-07T08:26:40.001Z');
  });

  it('takes the format from X-Log-Format and the source from X-Source', async () => {
    const h = make(await createMemoryKv());
    const res = await h(post('[x] hello', { 'x-log-format': '\\[<Tag>\\] <Content>', 'x-source': 's2' }, ''));
    expect((await events(res))[0]).toMatchObject({
      source: 's2',
      format: 'custom',
      message: 'hello',
      fields: { Tag: 'x' },
    });
  });

  it('refuses an empty body (400), other methods (405), bad formats and envelopes (400) with JSON errors', async () => {
    const h = make(await createMemoryKv());
    const empty = await h(post(''));
    expect(empty.status).toBe(400);
    expect((await empty.json()).code).toBe('bad_request');
    expect((await h(new Request('http://x/?source=a'))).status).toBe(405);
    expect((await h(post('x', { 'x-log-format': 'no fields' }))).status).toBe(400);
    expect((await h(post('{"lines":3}', { 'content-type': ENVELOPE_TYPE }))).status).toBe(400);
  });

  it('two replicas sharing a KV agree on template ids, and a restarted one keeps them', async () => {
    const kv = await createMemoryKv();
    const a = make(kv);
    const first = await events(
      await a(post('login ok for user alice from 10.0.0.1\nlogin ok for user alice from [10.0.0.2]')),
    );
    expect(first[0].templateId).toBe(first[1].templateId);
    expect(Object.keys(await kv.hgetall(templateKey('web')))).toEqual([first[0].templateId]);
    const b = make(kv);
    const second = await events(await b(post('login ok for user alice from (10.0.0.3)')));
    expect(second[0].templateId).toBe(first[0].templateId);
    const restarted = make(kv);
    const third = await events(await restarted(post('login ok for user alice from 10.0.0.4:22')));
    expect(third[0].templateId).toBe(first[0].templateId);
  });

  it('a replica that already loaded the source joins a template another replica created meanwhile', async () => {
    const kv = await createMemoryKv();
    const a = make(kv);
    const b = make(kv);
    // Both load the source (an unrelated line), so neither reloads it before its next batch.
    await a(post('service started'));
    await b(post('service started'));
    const fromA = await events(await a(post('request PUT /api/users failed with status 503')));
    // Different first line of the same template: content addressing alone would mint a second id.
    const fromB = await events(await b(post('request PUT /api/users failed with status [500]')));
    expect(fromB[0].templateId).toBe(fromA[0].templateId);
    expect(Object.keys(await kv.hgetall(templateKey('web')))).toHaveLength(2);
  });

  it('concurrent batches on two replicas that create the same template agree on one id', async () => {
    const kv = await createMemoryKv();
    const a = make(kv);
    const b = make(kv);
    const lines = (n: number) =>
      Array.from(
        { length: 50 },
        (_, i) => `request PUT /api/users failed with status ${['', '(', '['][(i + n) % 3]}${500 + i}`,
      );
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b)(post(lines(i).join('\n')))),
    );
    const ids = new Set((await Promise.all(results.map(events))).flat().map((e) => e.templateId));
    expect(ids.size).toBe(1);
    expect(Object.keys(await kv.hgetall(templateKey('web')))).toEqual([...ids]);
  });

  it('keeps a templateId stable while its template generalises', async () => {
    const kv = await createMemoryKv();
    const h = make(kv);
    const [e1] = await events(await h(post('job run (7) finished ok')));
    const [e2] = await events(await h(post('job run 7:1 finished ok')));
    expect(e2.templateId).toBe(e1.templateId);
    expect(e1.template).toBe('job run (<*>) finished ok');
    expect(e2.template).toBe('job run <*> finished ok');
    const stored = JSON.parse((await kv.hgetall(templateKey('web')))[e1.templateId]);
    expect(stored.tk).toEqual(['job', 'run', '<*>', 'finished', 'ok']);
  });

  it('caps templates per source: past the cap lines still get an id, nothing new is stored', async () => {
    const kv = await createMemoryKv();
    const small = { ...config, limits: { ...config.limits, maxTemplatesPerSource: 2 } };
    const h = createParseLogHandler({ kv, config: small, logger: silentLogger, now });
    const evs = await events(await h(post('alpha one\nbeta two three\ngamma four five six\ndelta x y z w')));
    expect(evs).toHaveLength(4);
    expect(new Set(evs.map((e) => e.templateId)).size).toBe(4);
    expect(Object.keys(await kv.hgetall(templateKey('web')))).toHaveLength(2);
  });

  it('a flood of source names: past MAX_SOURCES they share the _other templates, and the KV stays bounded', async () => {
    const kv = await createMemoryKv();
    const cfg = { ...config, maxSources: 3, memorySources: 2 };
    const h = createParseLogHandler({ kv, config: cfg, logger: silentLogger, now });
    for (let i = 0; i < 200; i++) {
      const evs = await events(
        await h(post(`user u${i} logged in from app${i}\nflood line ${i} x${i}`, {}, `?source=s${i}`)),
      );
      expect(evs.map((e) => e.source)).toEqual([`s${i}`, `s${i}`]);
      expect(evs.every((e) => e.templateId)).toBe(true);
    }
    const tplKeys = (await kv.keys('parse:tpl:')).sort();
    expect(tplKeys).toEqual([templateKey('_other'), templateKey('s0'), templateKey('s1'), templateKey('s2')]);
    expect(Object.keys(await kv.hgetall(SOURCES_KEY)).sort()).toEqual(['_other', 's0', 's1', 's2']);
    // Lines of the same shape from two over-cap sources share one template.
    const [a] = await events(await h(post('user x logged in from web', {}, '?source=late-1')));
    const [b] = await events(await h(post('user y logged in from web', {}, '?source=late-2')));
    expect(a.templateId).toBe(b.templateId);
  });

  it('caps templates over all sources (MAX_TEMPLATES_TOTAL)', async () => {
    const kv = await createMemoryKv();
    const cfg = { ...config, maxTemplatesTotal: 5 };
    const h = createParseLogHandler({ kv, config: cfg, logger: silentLogger, now });
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
    for (const [i, src] of ['a', 'b', 'c'].entries()) {
      const body = words.map((w, k) => `${w} ${'x '.repeat(k + i)}end`).join('\n');
      expect((await events(await h(post(body, {}, `?source=${src}`)))).every((e) => e.templateId)).toBe(true);
    }
    let stored = 0;
    for (const k of await kv.keys('parse:tpl:')) stored += Object.keys(await kv.hgetall(k)).length;
    expect(stored).toBe(5);
  });
});

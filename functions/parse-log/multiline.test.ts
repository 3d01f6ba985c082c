// parse-log's multi-line events through the handler: one event per trace, the switches, the bound.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../core/event.js';
import { EVENT_BATCH_TYPE } from '../../core/event-batch.js';
import { decodeEventBatch } from '../../core/event-batch-read.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import { silentLogger } from '../../core/log.js';
import { ENVELOPE_TYPE } from './body.js';
import { loadParseLogConfig } from './config.js';
import { createParseLogHandler } from './handler.js';

const now = () => Date.UTC(2026, 1, 7, 12);
const make = async (env: Record<string, string> = {}) =>
  createParseLogHandler({
    kv: await createMemoryKv(),
    config: loadParseLogConfig(env),
    logger: silentLogger,
    now,
  });
const post = (body: BodyInit, headers: Record<string, string> = {}, query = '?source=app') =>
  new Request(`http://x/function/parse-log${query}`, { method: 'POST', body, headers });
const events = async (r: Response) => {
  expect(r.status).toBe(200);
  return (await r.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
};
const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/multiline/${name}`, import.meta.url), 'utf8');

describe('parse-log: multi-line events', () => {
  it.each([
    ['java.log', '2024-05-01 12:00:00 ERROR [main] c.e.App - failed', 'error', 6],
    ['python.log', '2024-05-01 12:00:00,123 ERROR app: request failed', 'error', 13],
    ['go.log', 'panic: runtime error: index out of range [3] with length 3', 'info', 11],
  ])(
    '%s: the trace is one event, its first line the template, the rest its stack',
    async (name, first, _level, stackLines) => {
      const text = fixture(name);
      const lines = text.split('\n').slice(0, -1);
      const evs = await events(await (await make())(post(text)));
      expect(evs.length).toBe(2);
      for (const e of evs) expect(validateEvent(e)).toEqual([]);
      expect(evs[0].raw).toBe(first);
      expect(evs[0].stack).toBe(lines.slice(1, 1 + stackLines).join('\n'));
      expect(evs[0].template).not.toContain('\n');
      expect(evs[0].problems).toBeUndefined();
      expect(evs[1].raw).toBe(lines.at(-1));
      expect(evs[1].stack).toBeUndefined();
    },
  );

  it('gives the same trace template whatever the trace below the line', async () => {
    const h = await make();
    const a = await events(await h(post(fixture('java.log'))));
    const b = await events(
      await h(post('2024-05-01 12:00:09 ERROR [main] c.e.App - failed\n\tat x.Y.z(Y.java:1)')),
    );
    expect(b[0].templateId).toBe(a[0].templateId);
  });

  it('keeps the stack in the compact event batch', async () => {
    const res = await (await make())(post(fixture('java.log'), { accept: EVENT_BATCH_TYPE }));
    const { events: evs } = decodeEventBatch(await res.text());
    expect(evs[0].stack).toContain('Caused by: java.io.IOException: disk full');
  });

  it('off per request (?multiline=off, X-Multiline: off): one event per line as before', async () => {
    const h = await make();
    const text = fixture('java.log');
    expect((await events(await h(post(text, {}, '?source=app&multiline=off')))).length).toBe(8);
    expect((await events(await h(post(text, { 'x-multiline': 'off' })))).length).toBe(8);
    expect((await events(await h(post(text, { 'x-multiline': 'on' })))).length).toBe(2);
    const bad = await h(post(text, {}, '?source=app&multiline=maybe'));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/multiline must be on or off/);
  });

  it('off per source (SOURCE_MULTILINE), or everywhere (MULTILINE=off) with a source turning it on', async () => {
    const text = fixture('python.log');
    const h = await make({ SOURCE_MULTILINE: '{"raw": "off"}' });
    expect((await events(await h(post(text, {}, '?source=raw')))).length).toBe(15);
    expect((await events(await h(post(text, {}, '?source=app')))).length).toBe(2);
    expect((await events(await h(post(text, { 'x-multiline': 'on' }, '?source=raw')))).length).toBe(2);
    const off = await make({ MULTILINE: 'off', SOURCE_MULTILINE: '{"app": "on"}' });
    expect((await events(await off(post(text, {}, '?source=other')))).length).toBe(15);
    expect((await events(await off(post(text, {}, '?source=app')))).length).toBe(2);
    expect(() => loadParseLogConfig({ SOURCE_MULTILINE: '{"a": "sometimes"}' })).toThrow(
      /SOURCE_MULTILINE.a/,
    );
  });

  it('cuts an event at MULTILINE_MAX_LINES and flags every part multiline_truncated', async () => {
    const h = await make({ MULTILINE_MAX_LINES: '10' });
    const lines = [
      'ERROR boom',
      'java.lang.IllegalStateException: x',
      ...Array.from({ length: 20 }, (_, i) => `\tat a.B.f${i}(B.java:${i})`),
      'next',
    ];
    const evs = await events(await h(post(lines.join('\n'))));
    expect(evs.map((e) => (e.stack ? e.stack.split('\n').length + 1 : 1))).toEqual([10, 10, 2, 1]);
    expect(evs.map((e) => e.problems ?? [])).toEqual([
      ['multiline_truncated'],
      ['multiline_truncated'],
      ['multiline_truncated'],
      [],
    ]);
    expect(evs.slice(0, 3).flatMap((e) => [e.raw, ...e.stack.split('\n')])).toEqual(lines.slice(0, -1));
  });

  it('takes whole records in the envelope (entries with \\n), bounded the same way', async () => {
    const h = await make({ MULTILINE_MAX_BYTES: '64' });
    const body = JSON.stringify({
      lines: ['ERROR failed\njava.lang.Error: x\n\tat a.b()', `WARN long\n${'  y'.repeat(40)}`, 'plain'],
      labels: ['l1', null, null],
    });
    const evs = await events(await h(post(body, { 'content-type': ENVELOPE_TYPE })));
    expect(evs.map((e) => e.raw)).toEqual(['ERROR failed', 'WARN long', 'plain']);
    expect(evs[0].stack).toBe('java.lang.Error: x\n\tat a.b()');
    expect(evs[0].label).toBe('l1');
    expect(evs[1].stack.length).toBe(64 - 'WARN long'.length - 1);
    expect(evs[1].problems).toEqual(['multiline_truncated']);
  });

  it('keeps per-line decoding problems on the record', async () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('ERROR x\n\tat a.b('),
      0xff,
      ...new TextEncoder().encode(')\nnext'),
    ]);
    const evs = await events(await (await make())(post(bytes)));
    expect(evs.length).toBe(2);
    expect(evs[0].problems).toEqual(['invalid_utf8']);
    expect(evs[1].problems).toBeUndefined();
  });
});

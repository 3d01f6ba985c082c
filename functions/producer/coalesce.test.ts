// Small batches of requests without an idempotency key share messages (coalesce.ts), through the handler
// and the embedded broker: what reached the queue, and what each sender was told.
import { describe, expect, it } from 'vitest';
import type { Broker } from '../../core/broker/types.js';
import { silentLogger } from '../../core/log.js';
import { brokerWithRawQueue, drain, failingAfter } from '../../test/support/test-broker.js';
import { loadProducerConfig } from './config.js';
import { createProducerHandler } from './handler.js';

const lines = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

async function setup(env: Record<string, string> = {}, wrap: (b: Broker) => Broker = (b) => b) {
  const config = loadProducerConfig({ SECRETS_DIR: '/nonexistent', BATCH_LINES: '500', ...env });
  const queue = await brokerWithRawQueue();
  let ids = 0;
  const handler = createProducerHandler({
    broker: wrap(queue),
    config,
    logger: silentLogger,
    newId: () => `req${ids++}`,
  });
  const post = async (body: string, query = '?source=app', headers: Record<string, string> = {}) => {
    const r = await handler(new Request(`http://producer/${query}`, { method: 'POST', body, headers }));
    return { status: r.status, ...(await r.json()) };
  };
  return { post, messages: () => drain(queue) };
}

describe('producer: small batches share messages', () => {
  it('concurrent small requests of one source go as one message, in order, each told its own count', async () => {
    const { post, messages } = await setup();
    const bodies = ['a', 'b', 'c'].map((p) => lines(100, p).join('\n'));
    const answers = await Promise.all(bodies.map((b) => post(b)));
    expect(answers.map((a) => a.accepted)).toEqual([100, 100, 100]);
    expect(answers.every((a) => a.batches === 1 && a.batchIds[0] === 'req0:0+2')).toBe(true);
    const msgs = await messages();
    expect(msgs).toHaveLength(1);
    expect(msgs[0].messageId).toBe('req0:0+2');
    expect(msgs[0].headers).toMatchObject({ 'x-batch-id': 'req0:0+2', 'x-source': 'app' });
    expect(decode(msgs[0].body)).toBe(bodies.join('\n'));
  });

  it('a lone small request keeps its own batch id and body', async () => {
    const { post, messages } = await setup();
    expect(await post('only line\n')).toMatchObject({ accepted: 1, batchIds: ['req0:0'] });
    const msgs = await messages();
    expect(msgs.map((m) => [m.messageId, decode(m.body)])).toEqual([['req0:0', 'only line']]);
  });

  it('keeps sources, formats and multi-line switches apart', async () => {
    const { post, messages } = await setup();
    await Promise.all([
      post('x 1', '?source=a'),
      post('x 2', '?source=b'),
      post('x 3', '?source=a&format=plain'),
      post('x 4', '?source=a&multiline=off'),
      post('x 5', '?source=a'),
    ]);
    const msgs = await messages();
    const by = Object.fromEntries(msgs.map((m) => [decode(m.body), m.headers]));
    expect(Object.keys(by).sort()).toEqual(['x 1\nx 5', 'x 2', 'x 3', 'x 4']);
    expect(by['x 3']).toMatchObject({ 'x-log-format': 'plain' });
    expect(by['x 4']).toMatchObject({ 'x-multiline': 'off' });
  });

  it('never shares a batch of a request with an idempotency key, so a retry repeats its ids', async () => {
    const { post, messages } = await setup();
    const [a, b] = await Promise.all([
      post('k 1', '?source=app&key=file:0'),
      post('k 2', '?source=app&key=file:9'),
    ]);
    expect([a.batchIds, b.batchIds]).toEqual([['file:0:0'], ['file:9:0']]);
    expect((await messages()).map((m) => m.messageId).sort()).toEqual(['file:0:0', 'file:9:0']);
  });

  it('sends full batches at once and shares only the small remainder', async () => {
    const { post, messages } = await setup();
    const [big, small] = await Promise.all([
      post(lines(1200, 'big').join('\n')),
      post(lines(100, 'small').join('\n')),
    ]);
    expect(big).toMatchObject({ accepted: 1200, batches: 3, batchIds: ['req0:0', 'req0:1', 'req0:2+1'] });
    expect(small).toMatchObject({ accepted: 100, batches: 1, batchIds: ['req0:2+1'] });
    const msgs = Object.fromEntries((await messages()).map((m) => [m.messageId, decode(m.body).split('\n')]));
    expect(msgs['req0:0']).toHaveLength(500);
    expect(msgs['req0:2+1']).toEqual([
      ...lines(200, 'big').map((_, i) => `big ${1000 + i}`),
      ...lines(100, 'small'),
    ]);
  });

  it('sends a batch of more than half a message at once, alone', async () => {
    const { post, messages } = await setup();
    const [big, small] = await Promise.all([
      post(lines(300, 'big').join('\n')),
      post(lines(100, 'small').join('\n')),
    ]);
    expect([big.batchIds, small.batchIds]).toEqual([['req0:0'], ['req1:0']]);
    expect((await messages()).map((m) => decode(m.body).split('\n').length).sort()).toEqual([100, 300]);
  });

  it('does not share lines that could continue a record of another body', async () => {
    const { post, messages } = await setup();
    await Promise.all([
      post('ERROR failed\n  at x.y(Z.java:1)\nnext line'),
      post('plain 1'),
      post('plain 2'),
    ]);
    const bodies = (await messages()).map((m) => decode(m.body)).sort();
    expect(bodies).toEqual(['ERROR failed\n  at x.y(Z.java:1)\nnext line', 'plain 1\nplain 2']);
  });

  it('bounds a shared message by BATCH_LINES and the requests waiting, and loses or repeats no line', async () => {
    const { post, messages } = await setup({ BATCH_LINES: '250', MAX_INFLIGHT: '8' });
    const bodies = Array.from({ length: 9 }, (_, i) => lines(100, `r${i}`));
    const answers = await Promise.all(bodies.map((b) => post(b.join('\n'))));
    expect(answers.every((a) => a.accepted === 100)).toBe(true);
    const msgs = await messages();
    const got = msgs.flatMap((m) => decode(m.body).split('\n'));
    expect(got.sort()).toEqual(bodies.flat().sort());
    expect(msgs.every((m) => decode(m.body).split('\n').length <= 250)).toBe(true);
    expect(msgs.length).toBeGreaterThanOrEqual(5);
  });

  it('keeps empty lines where they were when joining bodies', async () => {
    const { post, messages } = await setup();
    await Promise.all([post('a\n\n\n'), post('\nb'), post('')]);
    expect((await messages()).map((m) => decode(m.body))).toEqual(['a\n\n\n\nb']);
  });

  it('BATCH_LINGER=0 sends every batch alone', async () => {
    const { post, messages } = await setup({ BATCH_LINGER: '0' });
    await Promise.all([post('x 1'), post('x 2')]);
    expect((await messages()).map((m) => m.messageId).sort()).toEqual(['req0:0', 'req1:0']);
  });

  it('a shared message that fails fails every request in it, with their counts', async () => {
    const { post, messages } = await setup({}, (b) => failingAfter(b, 0));
    const answers = await Promise.all([post(lines(30, 'a').join('\n')), post(lines(20, 'b').join('\n'))]);
    expect(answers).toMatchObject([
      { status: 503, code: 'publish_failed', accepted: 0, failed: 30 },
      { status: 503, code: 'publish_failed', accepted: 0, failed: 20 },
    ]);
    expect(await messages()).toEqual([]);
  });
});

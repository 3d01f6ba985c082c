// The embedded broker's own promise beyond the contract: with a dataDir, queued and unacked messages
// survive close and reopen (npm start restarted), and come back flagged as redelivered if they were out.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryBroker } from './memory.js';
import { BROKER_SNAPSHOT_FILE } from './memory-snapshot.js';
import type { Delivery } from './types.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('embedded broker persistence', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'logfaas-broker-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps bindings, queued and unacked messages across close and reopen', async () => {
    const a = createMemoryBroker({ dataDir: dir });
    await a.declareQueue({ name: 'q', topics: ['logs.#'] });
    await a.publish('logs.raw', enc('one'), {
      messageId: 'm1',
      headers: { h: '1' },
      contentType: 'text/plain',
    });
    await a.publish('logs.raw', enc('two'), { messageId: 'm2' });
    const held: Delivery[] = [];
    await a.consume('q', async (d) => void held.push(d), { prefetch: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(held.map((d) => d.messageId)).toEqual(['m1']);
    await a.close();
    expect(await readdir(dir)).toEqual([BROKER_SNAPSHOT_FILE]);

    const b = createMemoryBroker({ dataDir: dir });
    expect(await b.queueStats('q')).toEqual({ name: 'q', messages: 2, consumers: 0 });
    const first = await b.get('q');
    expect(first).toMatchObject({
      messageId: 'm1',
      redelivered: true,
      headers: { h: '1' },
      contentType: 'text/plain',
    });
    expect(dec(first!.body)).toBe('one');
    await first?.ack();
    await b.publish('logs.other', enc('three'), { messageId: 'm3' }); // the binding survived too
    expect((await b.queueStats('q'))?.messages).toBe(2);
    await b.close();
  });

  it('refuses a corrupt snapshot', async () => {
    await writeFile(join(dir, BROKER_SNAPSHOT_FILE), '{"format":"nope"}');
    expect(() => createMemoryBroker({ dataDir: dir })).toThrow(/not a broker snapshot/);
  });
});

describe('embedded broker flow control', () => {
  const msg = (i: number) => ({ messageId: `m${i}` });

  it('a publish to a full queue waits until a consumer takes some, and nothing is lost', async () => {
    const b = createMemoryBroker({ maxQueueBytes: 1000 });
    await b.declareQueue({ name: 'q', topics: ['t'] });
    const body = new Uint8Array(400);
    await b.publish('t', body, msg(1));
    await b.publish('t', body, msg(2));
    await b.publish('t', body, msg(3)); // 1,200 bytes ready: the next one waits
    let done = false;
    const fourth = b.publish('t', body, msg(4)).then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(done).toBe(false);
    expect((await b.queueStats('q'))?.messages).toBe(3);
    const got: string[] = [];
    const c = await b.consume(
      'q',
      async (d) => {
        got.push(d.messageId);
        await d.ack();
      },
      { prefetch: 1 },
    );
    await fourth;
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toEqual(['m1', 'm2', 'm3', 'm4']);
    await c.cancel();
    await b.close();
  });

  it('fails as unavailable when nothing drains the queue within publishWaitMs', async () => {
    const b = createMemoryBroker({ maxQueueBytes: 100, publishWaitMs: 50 });
    await b.declareQueue({ name: 'q', topics: ['t'] });
    await b.publish('t', new Uint8Array(200), msg(1));
    await expect(b.publish('t', new Uint8Array(10), msg(2))).rejects.toThrow(/queue q is full/);
    expect((await b.queueStats('q'))?.messages).toBe(1);
    await b.close();
  });
});

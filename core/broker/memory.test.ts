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

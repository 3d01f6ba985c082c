// Top templates show the template store's current form: pure folding (topTemplates) and the whole
// statsWrites -> KV -> readStats path against the embedded KV and real Redis.
import { afterEach, describe, expect, it } from 'vitest';
import { clearAndClose } from '../../test/services.js';
import { kvTargets } from '../../test/support/kv-targets.js';
import { createMemoryKv } from '../kv/memory.js';
import type { KV } from '../kv/types.js';
import { encodeTemplate, refKey, templateKey } from '../templates.js';
import { CAP_TEMPLATE_IDS, MINUTE_MS, OTHER_LABEL } from './keys.js';
import { readStats } from './read.js';
import { statsWrites } from './record.js';
import { sampleEvent } from './sample-events.js';
import { type TemplateAgg, TemplateViewCache, templatesBeyondCaps, topTemplates } from './templates.js';

const agg = (count: number, template: string, source = 's', first = 1000, last = 2000): TemplateAgg => ({
  count,
  template,
  source,
  first,
  last,
});

const stored = (text: string, m?: string) => {
  const tk = text.split(' ');
  return encodeTemplate({ tk, p: [String(tk.length)], c: 1, ...(m ? { m } : {}) });
};

describe('topTemplates', () => {
  it('shows the current text, and falls back to the recorded one', () => {
    const all = new Map([
      ['t1', agg(5, 'Setting up libsystemd0:<*> (<*>) ...')],
      ['t2', agg(3, 'recorded only')],
    ]);
    const current = new Map([
      [refKey({ source: 's', id: 't1' }), { id: 't1', text: 'Setting up <*> (<*>) ...' }],
    ]);
    expect(topTemplates(all, current).map((t) => [t.id, t.template, t.count])).toEqual([
      ['t1', 'Setting up <*> (<*>) ...', 5],
      ['t2', 'recorded only', 3],
    ]);
  });

  it.each([
    ['canonical first', ['canon', 'a1', 'a2']],
    ['aliases first', ['a1', 'a2', 'canon']],
  ])('counts aliases under their canonical id (%s)', (_, order) => {
    const rows: Record<string, TemplateAgg> = {
      canon: agg(2, 'Unpacking libc (<*>) ...', 's', 500, 900),
      a1: agg(4, 'Unpacking libfoo (<*>) ...', 's', 100, 3000),
      a2: agg(1, 'Unpacking libbar (<*>) ...', 's', 700, 800),
    };
    const all = new Map(order.map((id) => [id, rows[id]]));
    all.set('other', agg(6, 'something else'));
    const canon = { id: 'canon', text: 'Unpacking <*> (<*>) ...' };
    const current = new Map(['canon', 'a1', 'a2'].map((id) => [refKey({ source: 's', id }), canon]));
    const top = topTemplates(all, current);
    expect(top.map((t) => [t.id, t.template, t.count])).toEqual([
      ['canon', 'Unpacking <*> (<*>) ...', 7],
      ['other', 'something else', 6],
    ]);
    expect(top[0].share).toBeCloseTo(7 / 13, 5);
    expect(top[0].first_seen).toBe(new Date(100).toISOString());
    expect(top[0].last_seen).toBe(new Date(3000).toISOString());
  });
});

describe('cap buckets', () => {
  it('are not templates: left out of the list, counted apart by the cap that was hit', () => {
    const all = new Map<string, TemplateAgg>([
      ['t1', agg(5, 'Setting up <*> (<*>) ...', 's')],
      [CAP_TEMPLATE_IDS.batch, agg(40, '(templates beyond the 100 busiest of a batch)', OTHER_LABEL)],
      [CAP_TEMPLATE_IDS.hour, agg(7, '(templates new to a full hour of template stats)', OTHER_LABEL)],
    ]);
    const top = topTemplates(all);
    expect(top.map((t) => t.id)).toEqual(['t1']);
    expect(top[0].share).toBeCloseTo(5 / 52, 5);
    expect(templatesBeyondCaps(all)).toEqual({ batch: 40, hour: 7 });
    expect(templatesBeyondCaps(new Map())).toEqual({ batch: 0, hour: 0 });
  });
});

describe('TemplateViewCache', () => {
  it('reuses an answer (or the lack of one) for ttlMs, then asks the store again', async () => {
    const kv = await createMemoryKv();
    kvs.push(kv);
    const asked: string[][] = [];
    const counting = {
      hmget: (key: string, fields: string[]) => {
        asked.push(fields);
        return kv.hmget(key, fields);
      },
    };
    let clock = 0;
    const cache = new TemplateViewCache(1000, () => clock);
    await kv.apply([{ op: 'hset', key: templateKey('s'), fields: { a: stored('A <*>') } }]);
    const refs = [
      { source: 's', id: 'a' },
      { source: 's', id: 'b' },
    ];
    const first = await cache.read(counting, refs);
    expect([...first.values()]).toEqual([{ id: 'a', text: 'A <*>' }]);
    // 'b' is in neither its own source's hash nor the overflow source's: two lookups.
    expect(asked).toEqual([['a', 'b'], ['b']]);
    await kv.apply([{ op: 'hset', key: templateKey('s'), fields: { a: stored('<*> <*>'), b: stored('B') } }]);
    clock = 999;
    expect([...(await cache.read(counting, refs)).values()]).toEqual([{ id: 'a', text: 'A <*>' }]);
    expect(asked).toHaveLength(2);
    clock = 1000;
    expect([...(await cache.read(counting, refs)).values()]).toEqual([
      { id: 'a', text: '<*> <*>' },
      { id: 'b', text: 'B' },
    ]);
    expect(asked).toHaveLength(3);
  });
});

const kvs: KV[] = [];
afterEach(() => clearAndClose(kvs));
const targets = await kvTargets('stats-tpl');

describe.each(targets)('readStats templates: $name', (target) => {
  if (!target.up) return void it.skip('service not reachable', () => {});

  it("shows the template store's current text and folds merged ids into their canonical one", async () => {
    const kv = await target.open();
    kvs.push(kv);
    const now = Date.now();
    const ev = (templateId: string, template: string, n: number) =>
      Array.from({ length: n }, () => sampleEvent({ source: 'apt', templateId, template }));
    await kv.apply(
      statsWrites({
        events: [
          ...ev('tSetup', 'Setting up libsystemd0:<*> (<*>) ...', 995),
          ...ev('tUnpackFoo', 'Unpacking libfoo (<*>) ...', 30),
          ...ev('tUnpack', 'Unpacking libc6 (<*>) ...', 20),
          ...ev('tGone', 'not in the store <*>', 5),
        ],
        anomalies: [],
        now,
      }),
    );
    await kv.apply([
      {
        op: 'hset',
        key: templateKey('apt'),
        fields: {
          tSetup: stored('Setting up <*> (<*>) ...'),
          tUnpack: stored('Unpacking <*> (<*>) ...'),
          tUnpackFoo: stored('Unpacking libfoo (<*>) ...', 'tUnpack'),
        },
      },
    ]);
    const doc = await readStats(kv, { windowMs: 15 * MINUTE_MS, now: now + 1000 });
    expect(doc.templates.map((t) => [t.id, t.template, t.count, t.source])).toEqual([
      ['tSetup', 'Setting up <*> (<*>) ...', 995, 'apt'],
      ['tUnpack', 'Unpacking <*> (<*>) ...', 50, 'apt'],
      ['tGone', 'not in the store <*>', 5, 'apt'],
    ]);
  });
});

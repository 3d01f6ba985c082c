// The template store read path shared by stats (currentTemplates), against the embedded KV and real Redis.
import { afterEach, describe, expect, it } from 'vitest';
import { clearAndClose } from '../test/services.js';
import { kvTargets } from '../test/support/kv-targets.js';
import type { KV } from './kv/types.js';
import {
  currentTemplates,
  decodeTemplate,
  encodeTemplate,
  MAX_ALIAS_HOPS,
  OTHER_TEMPLATE_SOURCE,
  refKey,
  type StoredTemplate,
  templateKey,
} from './templates.js';

const stored = (text: string, m?: string): string => {
  const tk = text.split(' ');
  const t: StoredTemplate = { tk, p: [String(tk.length), tk[0]], c: 1 };
  if (m !== undefined) t.m = m;
  return encodeTemplate(t);
};

describe('decodeTemplate', () => {
  it.each([
    ['{"tk":["a","<*>"],"p":["2","a"],"c":5}', { tk: ['a', '<*>'], p: ['2', 'a'], c: 5 }],
    ['{"tk":["a"],"p":["1"],"c":5,"m":"t2"}', { tk: ['a'], p: ['1'], c: 5, m: 't2' }],
    ['{"tk":["a"],"p":["2"],"c":5}', undefined],
    ['{"tk":["a"],"p":["1"],"c":5,"m":3}', undefined],
    ['not json', undefined],
  ])('%s', (v, want) => {
    expect(decodeTemplate(v)).toEqual(want);
  });
});

const kvs: KV[] = [];
afterEach(() => clearAndClose(kvs));
const targets = await kvTargets('tpl');

describe.each(targets)('currentTemplates: $name', (target) => {
  if (!target.up) return void it.skip('service not reachable', () => {});
  const open = async () => {
    const kv = await target.open();
    kvs.push(kv);
    return kv;
  };

  it('gives the stored (generalised) text; ids the store lacks are left out', async () => {
    const kv = await open();
    await kv.apply([
      { op: 'hset', key: templateKey('apt'), fields: { t1: stored('Setting up <*> (<*>) ...') } },
    ]);
    const got = await currentTemplates(kv, [
      { source: 'apt', id: 't1' },
      { source: 'apt', id: 'nope' },
      { source: 'other-source', id: 't1' },
    ]);
    expect([...got]).toEqual([
      [refKey({ source: 'apt', id: 't1' }), { id: 't1', text: 'Setting up <*> (<*>) ...' }],
    ]);
  });

  it('follows merges to the canonical id and shows its text; cycles and missing links stop', async () => {
    const kv = await open();
    const chain: Record<string, string> = {};
    // a0 -> a1 -> ... -> a{MAX + 1}: a0 stops MAX hops down the chain, a1 reaches its end.
    for (let i = 0; i <= MAX_ALIAS_HOPS + 1; i++)
      chain[`a${i}`] = stored(`step ${i}`, i <= MAX_ALIAS_HOPS ? `a${i + 1}` : undefined);
    await kv.apply([
      {
        op: 'hset',
        key: templateKey('s'),
        fields: {
          alias: stored('Unpacking libfoo (<*>) ...', 'canon'),
          canon: stored('Unpacking <*> (<*>) ...'),
          loopA: stored('loop a', 'loopB'),
          loopB: stored('loop b', 'loopA'),
          dangling: stored('dangling text', 'gone'),
          ...chain,
        },
      },
    ]);
    const ids = ['alias', 'canon', 'loopA', 'dangling', 'a0', 'a1'];
    const got = await currentTemplates(
      kv,
      ids.map((id) => ({ source: 's', id })),
    );
    const view = Object.fromEntries(ids.map((id) => [id, got.get(refKey({ source: 's', id }))]));
    expect(view).toEqual({
      alias: { id: 'canon', text: 'Unpacking <*> (<*>) ...' },
      canon: { id: 'canon', text: 'Unpacking <*> (<*>) ...' },
      loopA: { id: 'loopB', text: 'loop b' },
      dangling: { id: 'dangling', text: 'dangling text' },
      a0: { id: `a${MAX_ALIAS_HOPS}`, text: `step ${MAX_ALIAS_HOPS}` },
      a1: { id: `a${MAX_ALIAS_HOPS + 1}`, text: `step ${MAX_ALIAS_HOPS + 1}` },
    });
  });

  it("finds a source's templates under the overflow source when it has none of its own", async () => {
    const kv = await open();
    await kv.apply([
      { op: 'hset', key: templateKey(OTHER_TEMPLATE_SOURCE), fields: { t9: stored('late source <*>') } },
    ]);
    const got = await currentTemplates(kv, [{ source: 'late', id: 't9' }]);
    expect(got.get(refKey({ source: 'late', id: 't9' }))).toEqual({ id: 't9', text: 'late source <*>' });
  });

  it('ignores a corrupt value', async () => {
    const kv = await open();
    await kv.apply([{ op: 'hset', key: templateKey('s'), fields: { bad: '{"tk":' } }]);
    expect((await currentTemplates(kv, [{ source: 's', id: 'bad' }])).size).toBe(0);
  });
});

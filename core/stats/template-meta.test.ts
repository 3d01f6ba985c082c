import { afterEach, describe, expect, it } from 'vitest';
import { clearAndClose } from '../../test/services.js';
import { kvTargets } from '../../test/support/kv-targets.js';
import type { LogEvent } from '../event.js';
import type { KV, WriteOp } from '../kv/types.js';
import { seededRandom as rng } from '../random.js';
import { hourOf, MINUTE_MS, templateHourKey } from './keys.js';
import { statsWrites } from './record.js';
import { sampleEvent } from './sample-events.js';
import { LAST_SEEN_STEP_MS, TEMPLATE_META_REFRESH_MS, TemplateMetaSent } from './template-meta.js';

// Ten minutes before an hour boundary, so a run crosses into a new template hash.
const T0 = Date.UTC(2026, 11, 7, 9, 50, 0);

/** A batch of `size` events over `templates` templates, two sources. */
function batch(size: number, templates: number, seed: number): LogEvent[] {
  const r = rng(seed);
  return Array.from({ length: size }, () => {
    const t = Math.floor(r() * templates);
    return sampleEvent({
      source: r() < 0.7 ? 'web' : 'db',
      templateId: `T${t}`,
      template: `template number ${t} <*>`,
    });
  });
}

const fieldsOf = (ops: WriteOp[], suffix: string) =>
  ops.flatMap((o) => (o.op === 'hsetCapped' && o.field.endsWith(suffix) ? [o.field] : []));

describe('TemplateMetaSent', () => {
  it('leaves out the set-once fields an applied batch wrote, until the refresh or a new hour', () => {
    const sent = new TemplateMetaSent();
    const events = batch(50, 5, 1);
    const first = statsWrites({ events, anomalies: [], now: T0, sentTemplates: sent });
    expect(fieldsOf(first, '|f')).toHaveLength(5);
    expect(fieldsOf(first, '|i')).toHaveLength(5);
    // Not noted (the apply failed, say): sent again.
    expect(
      fieldsOf(statsWrites({ events, anomalies: [], now: T0 + 1, sentTemplates: sent }), '|i'),
    ).toHaveLength(5);
    sent.note(first, T0);
    const later = statsWrites({ events, anomalies: [], now: T0 + 1000, sentTemplates: sent });
    expect(fieldsOf(later, '|f')).toEqual([]);
    expect(fieldsOf(later, '|i')).toEqual([]);
    // Counts still go with every batch, last seen once its step has passed.
    expect(later.filter((o) => o.op === 'hincrbyCapped' && o.key.startsWith('stats:t:'))).toHaveLength(5);
    expect(fieldsOf(later, '|l')).toEqual([]);
    expect(
      fieldsOf(
        statsWrites({ events, anomalies: [], now: T0 + LAST_SEEN_STEP_MS, sentTemplates: sent }),
        '|l',
      ),
    ).toHaveLength(5);
    // A new template is sent whole.
    const more = [...events, sampleEvent({ templateId: 'T9', template: 'nine' })];
    expect(
      fieldsOf(statsWrites({ events: more, anomalies: [], now: T0 + 2000, sentTemplates: sent }), '|i'),
    ).toEqual(['T9|i']);
    // After the refresh time, and in the next hour's hash, sent again.
    const stale = statsWrites({
      events,
      anomalies: [],
      now: T0 + TEMPLATE_META_REFRESH_MS,
      sentTemplates: sent,
    });
    expect(fieldsOf(stale, '|i')).toHaveLength(5);
    const nextHour = statsWrites({
      events,
      anomalies: [],
      now: T0 + 10 * MINUTE_MS + 1,
      sentTemplates: sent,
    });
    expect(fieldsOf(nextHour, '|f')).toHaveLength(5);
  });

  it('counts a template only when both of its set-once fields were among the writes', () => {
    const sent = new TemplateMetaSent();
    const key = templateHourKey(hourOf(T0));
    const f: WriteOp = {
      op: 'hsetCapped',
      key,
      field: 'A|f',
      value: '1',
      nx: true,
      maxFields: 9,
      otherField: 'o',
    };
    const i: WriteOp = { ...f, field: 'B|i' };
    sent.note([f, i], T0);
    expect(sent.fresh(key, 'A', T0)).toBe(false);
    expect(sent.fresh(key, 'B', T0)).toBe(false);
    sent.note([f, { ...f, field: 'A|i' }], T0);
    expect(sent.fresh(key, 'A', T0 + 1)).toBe(true);
    // Only the template hour hashes count, and a clock that went back is not trusted.
    sent.note(
      [
        { ...f, key: 'stats:x:1' },
        { ...f, key: 'stats:x:1', field: 'A|i' },
      ],
      T0,
    );
    expect(sent.fresh('stats:x:1', 'A', T0)).toBe(false);
    expect(sent.fresh(key, 'A', T0 - 1)).toBe(false);
  });
});

describe.each(await kvTargets('template-meta'))('set-once template fields left out: $name', (target) => {
  const kvs: KV[] = [];
  afterEach(() => clearAndClose(kvs));

  it.skipIf(!target.up)('stores what sending every field with every batch stores', async () => {
    kvs.push(await target.open(), await target.open());
    const [plain, lean] = kvs;
    const sent = new TemplateMetaSent();
    let leanOps = 0;
    let plainOps = 0;
    // 60 batches 2 s apart: across the hour boundary and past the refresh time, templates coming and going.
    const start = T0 + 9 * MINUTE_MS;
    for (let b = 0; b < 60; b++) {
      const events = batch(80, 8 + (b % 5), b);
      const now = start + b * 2000;
      const all = statsWrites({ events, anomalies: [], now });
      const some = statsWrites({ events, anomalies: [], now, sentTemplates: sent });
      const templateOps = (ops: WriteOp[]) => ops.filter((o) => o.key.startsWith('stats:t:')).length;
      plainOps += templateOps(all);
      leanOps += templateOps(some);
      await plain.apply(all, { onceKey: `b${b}` });
      // A redelivered batch (its once key already there) counts as written too.
      await lean.apply(some, { onceKey: `b${b}` });
      if (b === 7) await lean.apply(some, { onceKey: `b${b}` });
      sent.note(some, now);
    }
    // Per template a batch: its count, with first seen, text and last seen most of the time left out.
    expect(leanOps).toBeLessThan(plainOps * 0.4);
    const keys = (await plain.keys('stats:')).sort();
    expect((await lean.keys('stats:')).sort()).toEqual(keys);
    const hours = keys.filter((k) => k.startsWith('stats:t:'));
    expect(hours).toHaveLength(2);
    let older = 0;
    for (const key of keys.filter((k) => !k.includes('anomalies'))) {
      const want = await plain.hgetall(key);
      const got = await lean.hgetall(key);
      expect(Object.keys(got).sort(), key).toEqual(Object.keys(want).sort());
      for (const [f, v] of Object.entries(want)) {
        if (!f.endsWith('|l')) {
          expect(got[f], `${key} ${f}`).toBe(v);
          continue;
        }
        // Last seen: the same batch's time, or an earlier batch's less than LAST_SEEN_STEP_MS before it.
        const behind = Number(v) - Number(got[f]);
        expect(behind, `${key} ${f}`).toBeGreaterThanOrEqual(0);
        expect(behind, `${key} ${f}`).toBeLessThan(LAST_SEEN_STEP_MS);
        if (behind > 0) older++;
      }
    }
    expect(older).toBeGreaterThan(0);
  });

  it.skipIf(!target.up)(
    'a template hash deleted within the hour has its texts back after the refresh',
    async () => {
      kvs.push(await target.open());
      const kv = kvs[0];
      const sent = new TemplateMetaSent();
      const events = batch(40, 4, 3);
      const key = templateHourKey(hourOf(T0));
      const step = async (now: number) => {
        const ops = statsWrites({ events, anomalies: [], now, sentTemplates: sent });
        await kv.apply(ops);
        sent.note(ops, now);
      };
      await step(T0);
      await kv.apply([{ op: 'del', key }]);
      await step(T0 + 1000);
      expect(Object.keys(await kv.hgetall(key)).filter((f) => f.endsWith('|i'))).toEqual([]);
      await step(T0 + TEMPLATE_META_REFRESH_MS + 1000);
      const h = await kv.hgetall(key);
      expect(Object.keys(h).filter((f) => f.endsWith('|i'))).toHaveLength(4);
      expect(Object.keys(h).filter((f) => f.endsWith('|f'))).toHaveLength(4);
    },
  );
});

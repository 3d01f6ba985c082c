import { afterEach, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../core/event.js';
import type { KV } from '../../core/kv/types.js';
import { silentLogger } from '../../core/log.js';
import { MODEL_KEYS } from '../../core/model-status.js';
import { clearAndClose } from '../../test/services.js';
import { kvTargets } from '../../test/support/kv-targets.js';
import { DEFAULT_DETECT } from './config.js';
import { lg } from './counters.js';
import { createDetector } from './detector.js';
import type { Norms } from './norms-cache.js';
import { normsSetFields, putNormsField } from './norms-fields.js';

const parse = (fields: [string, string][]): Norms & { exact: boolean } => {
  const n: Norms = { stats: new Map(), packed: new Map() };
  let exact = true;
  for (const [f, v] of fields) if (!putNormsField(n, f, v)) exact = false;
  return { ...n, exact };
};

describe('norms fields', () => {
  it("stores a template's two means as one field and reads them back as two", () => {
    const fields: Record<string, string> = {};
    normsSetFields(
      new Map([
        ['mm:a', 1.5],
        ['pm:a', 2.25],
        ['ln:GET /x', 3],
        ['lm:GET /x', 0.5],
      ]),
      fields,
    );
    expect(fields).toEqual({ 'mp:a': '1.5,2.25', 'ln:GET /x': '3', 'lm:GET /x': '0.5' });
    const n = parse(Object.entries(fields));
    expect(n.exact).toBe(true);
    expect(Object.fromEntries(n.stats)).toEqual({
      'mm:a': 1.5,
      'pm:a': 2.25,
      'ln:GET /x': 3,
      'lm:GET /x': 0.5,
    });
    // One mean alone keeps its own field.
    const lone: Record<string, string> = {};
    normsSetFields(new Map([['pm:b', 4]]), lone);
    expect(lone).toEqual({ 'pm:b': '4' });
  });

  it("reads an older store's separate fields until the template's combined one exists, in any order", () => {
    expect(
      Object.fromEntries(
        parse([
          ['mm:a', '7'],
          ['pm:a', '8'],
          ['t:a', '3'],
        ]).stats,
      ),
    ).toEqual({
      'mm:a': 7,
      'pm:a': 8,
      't:a': 3,
    });
    const fields: [string, string][] = [
      ['mm:a', '7'],
      ['pm:a', '8'],
      ['mp:a', '1,2'],
      ['mm:b', '5'],
    ];
    for (const order of [fields, [...fields].reverse(), [fields[2], fields[0], fields[3], fields[1]]]) {
      const n = parse(order);
      expect(n.exact).toBe(true);
      expect(Object.fromEntries(n.stats)).toEqual({ 'mm:a': 1, 'pm:a': 2, 'mm:b': 5 });
    }
    // A value that is not two finite numbers does not parse.
    for (const bad of ['1', '1,x', ',2', '1,', 'NaN,1']) expect(parse([['mp:a', bad]]).exact).toBe(false);
  });
});

const kvs: KV[] = [];
afterEach(() => clearAndClose(kvs));

describe.each(await kvTargets('norms-fields'))('an older store upgraded: $name', (target) => {
  it.skipIf(!target.up)("a template's means go on from the separate fields it held", async () => {
    const kv = await target.open();
    kvs.push(kv);
    const norms = MODEL_KEYS.norms('web');
    // As an older replica left them: 1,000 lines of template T, their mean log message length 3.
    await kv.apply([
      { op: 'hincrby', key: norms, field: 't:T', by: 1000 },
      { op: 'hincrby', key: norms, field: '_n', by: 1000 },
      { op: 'hset', key: norms, fields: { 'mm:T': '3', 'pm:T': '1' } },
    ]);
    const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
    const message = 'x'.repeat(63); // log2(64) = 6
    const events: LogEvent[] = Array.from({ length: 100 }, (_, i) => ({
      v: 1,
      timestamp: new Date(T0 + i * 100).toISOString(),
      source: 'web',
      level: 'info',
      message,
      format: 'plain',
      templateId: 'T',
      template: message,
      params: [],
      raw: message,
    }));
    const d = createDetector({ kv, config: DEFAULT_DETECT, logger: silentLogger });
    await d.process(
      events,
      events.map((e) => Date.parse(e.timestamp)),
      T0 + 60_000,
      'b1',
    );
    const h = await kv.hgetall(norms);
    const [mm, pm] = h['mp:T'].split(',').map(Number);
    // Blended with the stored mean of 1,000 lines, not started afresh from this batch's 6.
    expect(mm).toBeCloseTo(3 + (100 / 1100) * (lg(63) - 3), 5);
    expect(pm).toBeCloseTo(1 - (100 / 1100) * 1, 5);
    expect(h['t:T']).toBe('1100');
  });
});

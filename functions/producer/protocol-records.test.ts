import { describe, expect, it } from 'vitest';
import {
  attributeProblem,
  contentKey,
  encodeRecordBatch,
  recordBatches,
  sourceName,
} from './protocol-records.js';

const rec = (source: string, line: string) => ({ source, line, meta: { ts: 1 } });

describe('structured records into batch envelopes', () => {
  it('turns service and job names into sources the text endpoint would take', () => {
    expect(['checkout', 'my svc/v2', '_x', '../etc', '', undefined, 'a'.repeat(80)].map(sourceName)).toEqual([
      'checkout',
      'my_svc_v2',
      'x',
      'etc',
      'default',
      'default',
      'a'.repeat(64),
    ]);
  });

  it('groups by source in order of first appearance, bounded in lines and bytes', () => {
    const records = [rec('a', '1'), rec('b', '2'), rec('a', '3'), rec('a', '4'), rec('b', 'x'.repeat(300))];
    const batches = recordBatches(records, 2, 200);
    expect(batches.map((b) => [b.source, b.lines.map((l) => JSON.parse(l).length)])).toEqual([
      ['a', [1, 1]],
      ['b', [1]],
      ['a', [1]],
      ['b', [200]],
    ]);
    const env = JSON.parse(new TextDecoder().decode(encodeRecordBatch(batches[0])));
    expect(env).toEqual({ source: 'a', lines: ['1', '3'], meta: [{ ts: 1 }, { ts: 1 }] });
  });

  it('checks attribute counts and sizes in UTF-8 bytes', () => {
    const limits = { maxAttributes: 2, maxNameBytes: 4, maxValueBytes: 4 };
    expect(attributeProblem({ a: 1, b: 'four' }, limits)).toBeUndefined();
    expect(attributeProblem({ a: 1, b: 2, c: 3 }, limits)).toMatch(/MAX_ATTRIBUTES/);
    expect(attributeProblem({ abcde: 1 }, limits)).toMatch(/MAX_ATTRIBUTE_NAME_BYTES/);
    expect(attributeProblem({ a: 'éé€' }, limits)).toMatch(/MAX_ATTRIBUTE_VALUE_BYTES/);
  });

  it('keys a request by its content', () => {
    const a = contentKey('otlp', new TextEncoder().encode('x'));
    expect(a).toMatch(/^otlp-[0-9a-f]{32}$/);
    expect(contentKey('otlp', new TextEncoder().encode('x'))).toBe(a);
    expect(contentKey('otlp', new TextEncoder().encode('y'))).not.toBe(a);
  });
});

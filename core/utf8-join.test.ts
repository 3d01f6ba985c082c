import { describe, expect, it } from 'vitest';
import { utf8Join } from './utf8-join.js';

describe('utf8Join', () => {
  it('is the UTF-8 of the joined string, whatever the grouping', () => {
    const parts = ['a', '', 'ü ✓ 😀', 'line\twith tab', 'x'.repeat(1000), '\ufffd'];
    for (const group of [1, 2, 4, 100])
      expect(new TextDecoder().decode(utf8Join(parts, group))).toBe(parts.join('\n'));
    expect(utf8Join([])).toEqual(new Uint8Array(0));
    expect(utf8Join([''])).toEqual(new Uint8Array(0));
  });
});

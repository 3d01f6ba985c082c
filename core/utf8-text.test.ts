import { describe, expect, it } from 'vitest';
import { seededRandom } from './random.js';
import { utf8Join, utf8Lines } from './utf8-text.js';

describe('utf8Join', () => {
  it('is the UTF-8 of the joined string, whatever the grouping', () => {
    const parts = ['a', '', 'ü ✓ 😀', 'line\twith tab', 'x'.repeat(1000), '\ufffd'];
    for (const group of [1, 2, 4, 100])
      expect(new TextDecoder().decode(utf8Join(parts, group))).toBe(parts.join('\n'));
    expect(utf8Join([])).toEqual(new Uint8Array(0));
    expect(utf8Join([''])).toEqual(new Uint8Array(0));
  });
});

describe('utf8Lines', () => {
  const whole = (b: Uint8Array) => new TextDecoder().decode(b).split('\n');
  it('is the whole body decoded and split, however the pieces fall', () => {
    const r = seededRandom(3);
    const words = [
      'GET /a',
      'ü ✓ 😀',
      '\ufeffbom-led',
      'x'.repeat(300),
      '',
      'tab\there',
      'cr\r',
      'y'.repeat(70_000),
    ];
    for (const size of [0, 1, 10, 3_000]) {
      const lines = Array.from({ length: size }, () => words[Math.floor(r() * words.length)]);
      for (const text of [lines.join('\n'), `${lines.join('\n')}\n`, `\ufeff${lines.join('\n')}\n\n`]) {
        const bytes = new TextEncoder().encode(text);
        expect([...utf8Lines(bytes)]).toEqual(whole(bytes));
        expect([...utf8Lines(bytes, { fatal: true })]).toEqual(whole(bytes));
      }
    }
    expect([...utf8Lines(new TextEncoder().encode('z'.repeat(200_000)))]).toEqual(['z'.repeat(200_000)]);
  });

  it('replaces invalid UTF-8, or throws when fatal', () => {
    const bad = new Uint8Array([0x61, 0xff, 0x0a, 0x62]);
    expect([...utf8Lines(bad)]).toEqual(['a\ufffd', 'b']);
    expect(() => [...utf8Lines(bad, { fatal: true })]).toThrow(TypeError);
  });
});

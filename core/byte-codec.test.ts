import { describe, expect, it } from 'vitest';
import { ByteWriter } from './byte-codec.js';
import { seededRandom } from './random.js';

describe('ByteWriter.decimal', () => {
  it('writes what String(n) writes, and says how many characters', () => {
    const r = seededRandom(5);
    const values = [
      0,
      7,
      9,
      10,
      99,
      1e7 - 1,
      1e7,
      1e8 - 1,
      1e8,
      1e8 + 1,
      1e9,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32,
      1796684495558,
      1e15,
      Number.MAX_SAFE_INTEGER,
      -1,
      -1796684495558,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 60,
      ...Array.from({ length: 2000 }, () => Math.floor(r() * 2 ** (1 + Math.floor(r() * 52)))),
    ];
    const w = new ByteWriter(16);
    let text = '';
    for (const n of values) {
      expect([n, w.decimal(n)]).toEqual([n, String(n).length]);
      text += String(n);
    }
    expect(new TextDecoder().decode(w.done())).toBe(text);
  });
});

import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from './byte-codec.js';
import { escapeLine } from './line-escape.js';
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

describe('ByteReader.strings with spans', () => {
  it('gives the byte offset of each string whose bytes are its ASCII text with nothing to escape, -1 for the rest', () => {
    const r = seededRandom(9);
    const pieces = [
      'GET /a 200',
      'tab\there',
      'back\\slash',
      'cr\r',
      'lf\nx',
      'é ü',
      '🎉',
      '',
      'lone \ud800',
      'x',
    ];
    for (let round = 0; round < 30; round++) {
      // Long lists cross the 32K-unit runs; some runs are all ASCII, some are not.
      const ascii = round % 3 === 0;
      const list = Array.from({ length: 1 + Math.floor(r() * 3000) }, (_, i) =>
        ascii && r() < 0.9
          ? `line ${i} ${'a'.repeat(Math.floor(r() * 40))}`
          : `${pieces[Math.floor(r() * pieces.length)]} ${i}`,
      );
      const w = new ByteWriter();
      w.strings(list);
      const body = w.done();
      const spans: number[] = [];
      const got = new ByteReader(body).strings(spans);
      expect(got).toEqual(list);
      expect(spans).toHaveLength(list.length);
      const text = new TextDecoder();
      let copied = 0;
      for (const [k, s] of list.entries()) {
        if (spans[k] < 0) continue;
        copied++;
        expect(/^[\x00-\x7f]*$/.test(s) && escapeLine(s) === s).toBe(true);
        expect(text.decode(body.subarray(spans[k], spans[k] + s.length))).toBe(s);
      }
      // Every plain ASCII string is found, whatever else its run holds.
      const plain = list.filter((s) => /^[\x00-\x7f]*$/.test(s) && escapeLine(s) === s);
      expect(copied).toBe(plain.length);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { BINARY_SHARE, binaryShare } from './split.js';

/** The share as a decode of the sample counts it: what binaryShare's quick path must agree with. */
function decodedShare(input: Uint8Array, sampleBytes: number): number {
  const sample = input.subarray(0, sampleBytes);
  if (sample.length === 0) return 0;
  let bad = 0;
  for (const b of sample) if (b === 0) bad++;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(sample);
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0xfffd) bad++;
  if (sample.length === sampleBytes && text.charCodeAt(text.length - 1) === 0xfffd) bad--;
  return bad / sample.length;
}

const enc = new TextEncoder();

describe('binaryShare', () => {
  it('agrees with a decode of the sample on text, cut characters, invalid bytes and NULs', () => {
    const pieces = [
      enc.encode('GET /api/users 200 12ms\n'),
      enc.encode('héllo wörld ✓ 😀 日本語\n'),
      new Uint8Array([0xc3]),
      new Uint8Array([0xe2, 0x82]),
      new Uint8Array([0xf0, 0x9f, 0x98]),
      new Uint8Array([0x80, 0x80, 0x80, 0x80]),
      new Uint8Array([0xff]),
      new Uint8Array([0xc3, 0x28]),
      new Uint8Array([0]),
    ];
    const r = seededRandom(3);
    for (let n = 0; n < 3000; n++) {
      const parts: number[] = [];
      const count = 1 + Math.floor(r() * 12);
      for (let i = 0; i < count; i++)
        parts.push(...pieces[Math.floor(r() * (n % 3 === 0 ? 2 : pieces.length))]);
      const body = new Uint8Array(parts);
      // Samples cut at every length up to the body's, so a character is cut at each of its bytes.
      const sampleBytes = 1 + Math.floor(r() * (body.length + 2));
      expect(binaryShare(body, sampleBytes)).toBe(decodedShare(body, sampleBytes));
    }
  });

  it('reads text as text and a PNG as binary', () => {
    expect(binaryShare(enc.encode('a\n'.repeat(40_000)))).toBe(0);
    const png = new Uint8Array(70_000).map((_, i) => (i * 7919) % 256);
    expect(binaryShare(png)).toBeGreaterThan(BINARY_SHARE);
  });
});

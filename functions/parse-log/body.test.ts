import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/random.js';
import { splitText } from './body.js';

/** What splitText gave when it decoded the whole body at once. */
function wholeBody(bytes: Uint8Array): string[] {
  const lines = new TextDecoder('utf-8', { fatal: true }).decode(bytes).split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

describe('splitText', () => {
  it('splits a large body decoded in pieces exactly as the whole body decoded at once', () => {
    const r = seededRandom(11);
    const words = ['GET /a', 'ü ✓ 😀', '\ufeffbom-led', 'x'.repeat(300), '', 'tab\there', 'cr\r'];
    for (const size of [10, 2_000, 9_000]) {
      const lines = Array.from({ length: size }, () => words[Math.floor(r() * words.length)]);
      for (const text of [lines.join('\n'), `${lines.join('\r\n')}\n`, `\ufeff${lines.join('\n')}\n\n`]) {
        const bytes = new TextEncoder().encode(text);
        expect(splitText(bytes).lines).toEqual(wholeBody(bytes));
      }
    }
    // One line longer than a piece, and a body of newlines only.
    for (const text of ['y'.repeat(200_000), `a\n${'z'.repeat(150_000)}\nb`, '\n\n\n']) {
      const bytes = new TextEncoder().encode(text);
      expect(splitText(bytes).lines).toEqual(wholeBody(bytes));
    }
  });
});

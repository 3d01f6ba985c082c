import { describe, expect, it } from 'vitest';
import { DEFAULT_MULTILINE_LIMITS } from '../core/multiline.js';
import { cut } from './file-chunks.js';

const UTF8 = new TextEncoder();
const TRACE = [
  'ERROR failed',
  'java.lang.IllegalStateException: boom',
  '\tat a.B.c(B.java:1)',
  '\tat a.B.d(B.java:2)',
];
const text = (c: { body: Uint8Array }) => new TextDecoder().decode(c.body);

/** Every chunk of `input`, as cut() would hand them out one after the other. */
function chunks(input: string, maxLines: number, multiline = true) {
  const all = UTF8.encode(input);
  const out = [];
  let pos = 0;
  const o = { maxLines, maxBytes: 1 << 20, multiline: multiline ? DEFAULT_MULTILINE_LIMITS : undefined };
  for (let c = cut(all.subarray(pos), pos, o, true); c; c = cut(all.subarray(pos), pos, o, true)) {
    out.push(c);
    pos = c.end;
  }
  return out;
}

describe('cut: chunks end between records', () => {
  it('ends a chunk before a trace its line limit falls inside, and marks it whole', () => {
    const lines = ['a', 'b', ...TRACE, 'c', 'd'];
    const cs = chunks(`${lines.join('\n')}\n`, 4);
    expect(cs.map((c) => [c.lines, c.whole])).toEqual([
      [2, true],
      [4, true],
      [2, true],
    ]);
    expect(text(cs[1])).toBe(`${TRACE.join('\n')}\n`);
  });

  it('keeps full chunks of one-line records, and cuts a record longer than a chunk', () => {
    expect(chunks('a\nb\nc\nd\ne\n', 2).map((c) => [c.lines, c.whole])).toEqual([
      [2, true],
      [2, true],
      [1, true],
    ]);
    expect(chunks(`${TRACE.join('\n')}\nx\n`, 3).map((c) => [c.lines, c.whole])).toEqual([
      [3, false],
      [2, true],
    ]);
  });

  it('without multiline: plain line limits', () => {
    expect(chunks(`${['a', 'b', ...TRACE].join('\n')}\n`, 4, false).map((c) => c.lines)).toEqual([4, 2]);
  });
});

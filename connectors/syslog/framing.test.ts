import { describe, expect, it } from 'vitest';
import { Deframer, type FrameProblem } from './framing.js';

function run(chunks: (string | Buffer)[], maxBytes = 100) {
  const frames: string[] = [];
  const problems: FrameProblem[] = [];
  const d = new Deframer(maxBytes, {
    frame: (b, s, e) => frames.push(b.toString('utf8', s, e)),
    problem: (p) => problems.push(p),
  });
  for (const c of chunks) d.push(typeof c === 'string' ? Buffer.from(c) : c);
  d.end();
  return { frames, problems };
}

describe('Deframer (RFC 6587)', () => {
  it.each([
    ['newline framing', ['<13>a\n<13>b\n'], ['<13>a', '<13>b'], []],
    ['CRLF', ['<13>a\r\n<13>b\r\n'], ['<13>a', '<13>b'], []],
    ['octet counting', ['5 <13>a5 <13>b'], ['<13>a', '<13>b'], []],
    ['octet counting with LF after each frame', ['5 <13>a\n5 <13>b\n'], ['<13>a', '<13>b'], []],
    ['an octet-counted frame may hold a LF', ['7 <13>a\nb'], ['<13>a\nb'], []],
    ['mixed on one connection', ['5 <13>a<13>b\n5 <13>c'], ['<13>a', '<13>b', '<13>c'], []],
    ['split anywhere', ['1', '1 <13>hel', 'lo w', '<13>x', '\n'], ['<13>hello w', '<13>x'], []],
    ['unterminated last line is delivered at end', ['<13>a\n<13>b'], ['<13>a', '<13>b'], []],
    ['unfinished octet frame at end is bad', ['9 <13>a'], [], ['bad_frame']],
    [
      'a length that is not a number loses the frame up to LF',
      ['12x <13>a\n<13>b\n'],
      ['<13>b'],
      ['bad_frame'],
    ],
    ['too many length digits', ['12345678901 x\n<13>b\n'], ['<13>b'], ['bad_frame']],
    ['oversized octet frame skipped exactly', [`200 ${'x'.repeat(200)}5 <13>a`], ['<13>a'], ['too_large']],
    [
      'oversized octet frame across chunks',
      ['200 ', 'x'.repeat(150), `${'x'.repeat(50)}5 <13>a`],
      ['<13>a'],
      ['too_large'],
    ],
    [
      'oversized newline frame dropped to its LF',
      [`<13>${'x'.repeat(200)}\n<13>a\n`],
      ['<13>a'],
      ['too_large'],
    ],
    [
      'oversized newline frame across chunks',
      [`<13>${'x'.repeat(120)}`, 'yyy', 'zz\n<13>a\n'],
      ['<13>a'],
      ['too_large'],
    ],
    ['NUL trailers between frames', ['<13>a\n\0<13>b\n'], ['<13>a', '<13>b'], []],
  ])('%s', (_name, chunks, frames, problems) => {
    expect(run(chunks)).toEqual({ frames, problems });
  });

  it('delivers every frame of a byte-at-a-time stream', () => {
    const text = '6 <13>ab<14>cd\n6 <15>ef';
    const r = run([...Buffer.from(text)].map((b) => Buffer.from([b])));
    expect(r).toEqual({ frames: ['<13>ab', '<14>cd', '<15>ef'], problems: [] });
  });
});

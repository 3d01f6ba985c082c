// The logfmt scanner reads what the regex it replaced read: /\s*([\w.@/-]+)=("((?:[^"\\]|\\.)*)("?)|[^\s"]*)/y.
// Expected values are that regex's results.
import { describe, expect, it } from 'vitest';
import { parseLogfmt } from './logfmt.js';

const read = (line: string) => {
  const r = parseLogfmt(line);
  return r && { fields: r.fields, problems: r.problems };
};

describe('parseLogfmt', () => {
  it.each([
    ['a=1 b=2', { fields: { a: '1', b: '2' } }],
    ['a="x y" b=2 tail text', { fields: { a: 'x y', b: '2', _rest: 'tail text' } }],
    ['k="esc \\" q" v=1', { fields: { k: 'esc " q', v: '1' } }],
    ['a=1 b= c=""', { fields: { a: '1', b: '', c: '' } }],
    // Any JavaScript whitespace separates pairs, as the regex's \s did.
    ['a=1\u00a0b=2', { fields: { a: '1', b: '2' } }],
    ['a.b@c/d-e=1 x=2', { fields: { 'a.b@c/d-e': '1', x: '2' } }],
    // A backslash at the end escapes nothing: the quoted value stops before it.
    ['a=1 b="x\\', { fields: { a: '1', b: 'x', _rest: '\\' }, problems: ['bad_logfmt'] }],
    ['a=1 b=2 "q"', { fields: { a: '1', b: '2', _rest: '"q"' }, problems: ['bad_logfmt'] }],
  ])('%s', (line, expected) => {
    expect(read(line)).toEqual(expected);
  });

  it('needs two pairs', () => {
    expect(parseLogfmt('a="unterminated b=2')).toBeUndefined();
    expect(parseLogfmt('a=1')).toBeUndefined();
  });
});

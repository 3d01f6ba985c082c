import { describe, expect, it } from 'vitest';
import { BadRequestError } from './errors.js';
import { MAX_REPORTED, parseInvocations } from './invocations.js';

const known = (n: string) => n === 'parse-log';

describe('invocation reports', () => {
  it('reads a report', () => {
    expect(parseInvocations('[{"function":"parse-log","code":200,"seconds":0.25}]', known)).toEqual([
      { function: 'parse-log', code: 200, seconds: 0.25 },
    ]);
    expect(parseInvocations('[]', known)).toEqual([]);
  });

  it.each([
    ['not json', /JSON array/],
    ['{"function":"parse-log"}', /JSON array/],
    ['[{"function":"other","code":200,"seconds":1}]', /invocation 0: function/],
    ['[{"function":"parse-log","code":99,"seconds":1}]', /code must be an HTTP status/],
    ['[{"function":"parse-log","code":200.5,"seconds":1}]', /code/],
    ['[{"function":"parse-log","code":200,"seconds":-1}]', /seconds/],
    ['[{"function":"parse-log","code":200,"seconds":"1"}]', /seconds/],
    ['[null]', /function/],
    [
      JSON.stringify(Array(MAX_REPORTED + 1).fill({ function: 'parse-log', code: 200, seconds: 0 })),
      /at most/,
    ],
  ])('refuses %s with a 400', (body, message) => {
    let e: unknown;
    try {
      parseInvocations(body, known);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(BadRequestError);
    expect((e as Error).message).toMatch(message);
  });
});

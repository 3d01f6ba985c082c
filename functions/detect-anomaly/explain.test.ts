import { describe, expect, it } from 'vitest';
import { mergeReasons } from './explain.js';

const TPL = 'template seen 1 time in 3,000 events: "GET <*> HTTP/1.1"';
const LAT = 'latency 4,800 ms, 40x the p50 of GET /api (~120 ms)';

describe('mergeReasons: each fact once', () => {
  it.each([
    [
      'the rule restates the model with "new or rare"',
      [TPL, 'HTTP 503'],
      [`new or rare ${TPL}`],
      [`new or rare ${TPL}`, 'HTTP 503'],
    ],
    ['identical texts', ['HTTP 503', LAT], ['HTTP 503'], ['HTTP 503', LAT]],
    [
      'the rule adds a latency shift',
      [LAT],
      [`${LAT}; GET /api is 3.0x slower over its last 40 requests`],
      [`${LAT}; GET /api is 3.0x slower over its last 40 requests`],
    ],
    [
      'different facts are kept, model first',
      [LAT],
      ['level error', `new or rare ${TPL}`],
      [LAT, 'level error', `new or rare ${TPL}`],
    ],
    ['a longer status is not the same fact', ['HTTP 50'], ['HTTP 503'], ['HTTP 50', 'HTTP 503']],
  ])('%s', (_name, model, rules, want) => {
    expect(mergeReasons([...model], rules)).toEqual(want);
  });
});

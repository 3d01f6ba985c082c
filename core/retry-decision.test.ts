import { describe, expect, it } from 'vitest';
import { type Decision, decide, type Outcome } from './retry-decision.js';

const p = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 };
const res = (status: number): Outcome => ({ kind: 'response', status });

describe('decide', () => {
  const table: [string, Outcome, number, Decision][] = [
    ['200 acks', res(200), 1, { action: 'ack' }],
    ['202 acks', res(202), 3, { action: 'ack' }],
    ['204 acks', res(204), 1, { action: 'ack' }],
    ['400 dead-letters at once', res(400), 1, { action: 'dead-letter', reason: 'HTTP 400' }],
    ['404 dead-letters at once', res(404), 1, { action: 'dead-letter', reason: 'HTTP 404' }],
    ['413 dead-letters at once', res(413), 1, { action: 'dead-letter', reason: 'HTTP 413' }],
    ['422 dead-letters at once', res(422), 1, { action: 'dead-letter', reason: 'HTTP 422' }],
    ['429 retries', res(429), 1, { action: 'retry', delayMs: 100, reason: 'HTTP 429', counted: true }],
    ['408 retries', res(408), 1, { action: 'retry', delayMs: 100, reason: 'HTTP 408', counted: true }],
    [
      '500 retries with backoff',
      res(500),
      2,
      { action: 'retry', delayMs: 200, reason: 'HTTP 500', counted: true },
    ],
    ['502 retries', res(502), 1, { action: 'retry', delayMs: 100, reason: 'HTTP 502', counted: true }],
    [
      '503 on last attempt dead-letters',
      res(503),
      3,
      { action: 'dead-letter', reason: 'HTTP 503 after 3 attempts' },
    ],
    [
      'timeout retries',
      { kind: 'timeout' },
      1,
      { action: 'retry', delayMs: 100, reason: 'timeout', counted: true },
    ],
    [
      'timeout on last attempt dead-letters',
      { kind: 'timeout' },
      3,
      { action: 'dead-letter', reason: 'timeout after 3 attempts' },
    ],
    [
      'unreachable gateway retries uncounted',
      { kind: 'unreachable', message: 'ECONNREFUSED' },
      9,
      { action: 'retry', delayMs: 1000, reason: 'gateway unreachable: ECONNREFUSED', counted: false },
    ],
  ];
  it.each(table)('%s', (_name, outcome, attempt, expected) => {
    expect(decide(outcome, attempt, p)).toEqual(expected);
  });

  it('caps the backoff', () => {
    const d = decide(res(500), 2, { maxAttempts: 100, baseDelayMs: 400, maxDelayMs: 500 });
    expect(d).toMatchObject({ action: 'retry', delayMs: 500 });
  });
});

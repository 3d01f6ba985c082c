import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../core/retry-decision.js';
import { decideSend } from './send-decision.js';

const p = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 };
const res = (status: number): Outcome => ({ kind: 'response', status });

describe('decideSend', () => {
  it.each([
    ['200', res(200), 1, 1, { action: 'done' }],
    ['500 first try', res(500), 1, 1, { action: 'retry', delayMs: 100, reason: 'HTTP 500', counted: true }],
    ['500 last attempt', res(500), 3, 3, { action: 'drop', reason: 'HTTP 500 after 3 attempts' }],
    ['400 rejected', res(400), 1, 1, { action: 'drop', reason: 'HTTP 400' }],
    ['413 rejected', res(413), 1, 1, { action: 'drop', reason: 'HTTP 413' }],
    [
      '429 never gives up',
      res(429),
      3,
      9,
      { action: 'retry', delayMs: 1000, reason: 'HTTP 429', counted: false },
    ],
    [
      '503 never gives up',
      res(503),
      3,
      2,
      { action: 'retry', delayMs: 200, reason: 'HTTP 503', counted: false },
    ],
    [
      'timeout',
      { kind: 'timeout' } as Outcome,
      2,
      2,
      { action: 'retry', delayMs: 200, reason: 'timeout', counted: true },
    ],
    [
      'gateway down',
      { kind: 'unreachable', message: 'ECONNREFUSED' } as Outcome,
      1,
      5,
      { action: 'retry', delayMs: 1000, reason: 'gateway unreachable: ECONNREFUSED', counted: false },
    ],
  ])('%s', (_n, o, attempt, tries, want) => {
    expect(decideSend(o, attempt, tries, p)).toEqual(want);
  });
});

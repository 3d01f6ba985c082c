import { describe, expect, it } from 'vitest';
import { maskToken, WILDCARD } from './mask.js';
import { parseBatch, resolveLimits, TemplateMiner } from './pipeline.js';

describe('maskToken: ids in URL paths (#17 item 7)', () => {
  it.each([
    ['/err500', '/err500', []],
    ['/v2', '/v2', []],
    ['/api/v2/page2', '/api/v2/page2', []],
    ['/users/123', `/users/${WILDCARD}`, ['123']],
    [
      '/orders/550e8400-e29b-41d4-a716-446655440000',
      `/orders/${WILDCARD}`,
      ['550e8400-e29b-41d4-a716-446655440000'],
    ],
    ['/blobs/deadbeef1234', `/blobs/${WILDCARD}`, ['deadbeef1234']],
    ['/a/1/b/2', `/a/${WILDCARD}/b/${WILDCARD}`, ['1', '2']],
    ['/err500?id=7', `/err500?${WILDCARD}`, ['id=7']],
    // Not a route of words and ids: masked whole, as before (HDFS task paths, host:port after a slash).
    ['/user/root/_task_200811092030_0001_m_000590_0/part-00590', WILDCARD, null],
    ['/10.10.34.11:45307', `${WILDCARD}:${WILDCARD}`, null],
    ['/x9f3k2m1q8z7w6v5', WILDCARD, null],
  ])('%s -> %s', (tok, want, params) => {
    const got: string[] = [];
    expect(maskToken(tok, got)).toBe(want);
    if (params) expect(got).toEqual(params);
  });
});

describe('an access log keeps its routes in the templates', () => {
  it('/err500 stays a word, /users/<id> is masked', () => {
    const line = (path: string, i: number) =>
      `127.0.0.1 - - [07/Dec/2026:04:05:${10 + i} +0000] "GET ${path} HTTP/1.1" 500 12 "-" "curl/8.0"`;
    const lines = ['/err500', '/err500', '/users/42', '/users/43', '/err500'].map(line);
    const miner = new TemplateMiner('nginx', resolveLimits());
    const events = parseBatch(lines, undefined, { source: 'nginx', limits: resolveLimits(), miner, now: 0 });
    expect(events.map((e) => e.template)).toEqual([
      // The status after the protocol is the event's outcome (mask.ts keepHttpStatus).
      'GET /err500 HTTP/1.1 500',
      'GET /err500 HTTP/1.1 500',
      'GET /users/<*> HTTP/1.1 500',
      'GET /users/<*> HTTP/1.1 500',
      'GET /err500 HTTP/1.1 500',
    ]);
  });
});

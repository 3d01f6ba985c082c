import { describe, expect, it } from 'vitest';
import { endpointOf, isIdSegment, normalizePath } from './endpoint.js';

describe('endpoint normaliser', () => {
  it.each([
    ['/users/123', '/users/:id'],
    ['/users/456?x=1', '/users/:id'],
    ['/users/deadbeef', '/users/:id'],
    ['/blobs/DEADBEEF1234', '/blobs/:id'],
    ['/orders/3f2b9c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e/items', '/orders/:id/items'],
    ['/s/aB3dE6gH9jK2mN5pQ8', '/s/:id'],
    ['/n/-12.5', '/n/:id'],
    ['/err500', '/err500'],
    ['/api/v1/health', '/api/v1/health'],
    ['/cafe/added', '/cafe/added'],
    ['/a-very-long-slug-without-digits', '/a-very-long-slug-without-digits'],
    ['/x/%31%32', '/x/:id'],
    ['/x/%zz', '/x/%zz'],
    ['//x//', '/x'],
    ['/p#frag', '/p'],
    ['/', '/'],
    ['', '/'],
    ['/a/b/c/d/e/f/g/h', '/a/b/c/d/e/f/...'],
  ])('normalizes %s to %s', (path, want) => expect(normalizePath(path)).toBe(want));

  it.each([
    ['GET', '/api/users/123?x=1', 'GET /api/users/:id'],
    ['get', '/users/deadbeef', 'GET /users/:id'],
    ['POST', '/orders/6f1c2a9e-4b7d-4c1e-9a2b-3c4d5e6f7a8b/items', 'POST /orders/:id/items'],
    [undefined, '/', 'ANY /'],
    ['GET', undefined, 'GET /'],
    [undefined, undefined, undefined],
    ['GET', '/a|b\n', 'GET /a b '],
  ])('endpointOf(%s, %s) = %s', (m, p, want) => expect(endpointOf(m, p)).toBe(want));

  it('caps the endpoint length', () => {
    expect(endpointOf('GET', `/${'z'.repeat(200)}`)).toHaveLength(80);
  });

  it('treats only digits-led or long segments as candidates', () => {
    expect(isIdSegment('42')).toBe(true);
    expect(isIdSegment('v2')).toBe(false);
    expect(isIdSegment('2fa')).toBe(false);
    expect(isIdSegment('')).toBe(false);
  });
});

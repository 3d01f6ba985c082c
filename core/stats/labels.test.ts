import { describe, expect, it } from 'vitest';
import { cleanLabel, endpointOf, normalizePath, statusClassOf } from './labels.js';
import { httpEvent, sampleEvent } from './sample-events.js';

describe('labels', () => {
  it.each([
    ['/users/123', '/users/:id'],
    ['/users/456?x=1', '/users/:id'],
    ['/orders/3f2b9c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e/items', '/orders/:id/items'],
    ['/blobs/deadbeef1234', '/blobs/:id'],
    ['/api/v1/health', '/api/v1/health'],
    ['/', '/'],
    ['/a/b/c/d/e/f/g/h', '/a/b/c/d/e/f/...'],
  ])('normalizes %s to %s', (path, want) => {
    expect(normalizePath(path)).toBe(want);
  });

  it('builds METHOD path endpoints and status classes', () => {
    expect(endpointOf(httpEvent('get', '/users/7', 200, 5))).toBe('GET /users/:id');
    expect(endpointOf(sampleEvent())).toBeNull();
    expect(statusClassOf(httpEvent('GET', '/', 503, 1))).toBe('5xx');
    expect(statusClassOf(httpEvent('GET', '/', 999, 1))).toBe('other');
  });

  it('strips the field separator and caps length', () => {
    expect(cleanLabel('a|b')).toBe('a b');
    expect(cleanLabel('x'.repeat(500))).toHaveLength(80);
    expect(cleanLabel('')).toBe('(none)');
  });
});

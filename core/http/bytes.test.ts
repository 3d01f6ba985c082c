import { describe, expect, it } from 'vitest';
import { bytesRequest, bytesResponse, knownBytes } from './bytes.js';

const big = new Uint8Array(100_000).map((_, i) => i % 251);

describe('bytesResponse / bytesRequest', () => {
  it('hands back the same bytes, uncopied, until someone reads the body', async () => {
    const res = bytesResponse(big, { status: 201, headers: { 'content-type': 'application/x-ndjson' } });
    expect(knownBytes(res)).toBe(big);
    expect(res.status).toBe(201);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(big);
    expect(knownBytes(res)).toBeUndefined();
  });

  it('makes a readable Request of the bytes', async () => {
    const req = bytesRequest('http://x/f', { method: 'POST', headers: { a: 'b' }, body: big });
    expect(knownBytes(req)).toBe(big);
    expect(req.headers.get('a')).toBe('b');
    expect(new Uint8Array(await req.arrayBuffer())).toEqual(big);
    expect(knownBytes(req)).toBeUndefined();
  });

  it('leaves small and empty bodies to the plain constructors', async () => {
    const small = new TextEncoder().encode('hello');
    const res = bytesResponse(small, { status: 200 });
    expect(knownBytes(res)).toBeUndefined();
    expect(await res.text()).toBe('hello');
    expect(await bytesResponse(null, { status: 204 }).text()).toBe('');
    expect(await bytesRequest('http://x/', { method: 'GET' }).text()).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { createMemoryKv } from '../core/kv/memory.js';
import { countLines, createNullHandler } from './null-function.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const post = (body: string, batchId: string) =>
  new Request('http://x/', {
    method: 'POST',
    body,
    headers: { 'x-batch-id': batchId, 'content-type': 'text/plain' },
  });

describe('the bench stand-in function', () => {
  it('counts lines with or without a final newline', () => {
    expect(countLines(bytes(''))).toBe(0);
    expect(countLines(bytes('a'))).toBe(1);
    expect(countLines(bytes('a\nb\n'))).toBe(2);
    expect(countLines(bytes('a\nb'))).toBe(2);
  });

  it('passes a batch on unchanged', async () => {
    const r = await createNullHandler({ role: 'pass' })(post('x\ny', 'b1'));
    expect(await r.text()).toBe('x\ny');
    expect(r.headers.get('content-type')).toBe('text/plain');
  });

  it('sinks each batch id once, as detect-anomaly applies it', async () => {
    const h = createNullHandler({ role: 'sink', kv: await createMemoryKv() });
    await h(post('a\nb\nc', 'b1'));
    await h(post('a\nb\nc', 'b1'));
    await h(post('d\n', 'b2'));
    expect(await (await h(new Request('http://x/'))).json()).toEqual({ lines: 4 });
  });
});

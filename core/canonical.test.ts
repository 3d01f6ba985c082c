import { expect, it } from 'vitest';
import { CANONICAL_MAX, canonical } from './canonical.js';

it('gives one string object for each text, batch after batch, and any text back unchanged', () => {
  const run = (n: number) => `web-1info${'tpl-abcdef-0123456789'}${n}`;
  const a = canonical(run(1).slice(0, 5));
  const b = canonical(run(2).slice(0, 5));
  expect(a).toBe('web-1');
  expect(b).toBe(a);
  const long = 'x'.repeat(300);
  expect(canonical(long)).toBe(long);
  for (const s of ['', 'é 日本', 'tpl-abcdef-0123456789']) expect(canonical(`${s}`)).toBe(s);
});

it('keeps at most CANONICAL_MAX texts, then starts again', () => {
  for (let i = 0; i <= CANONICAL_MAX; i++) canonical(`t${i}`);
  // Still right after the table started again.
  expect(canonical('t1')).toBe('t1');
  expect(canonical(`t${CANONICAL_MAX}`)).toBe(`t${CANONICAL_MAX}`);
});

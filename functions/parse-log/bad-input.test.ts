// Bad input never costs a line or a 500: each bad line becomes an event that says what was wrong.
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../core/event.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import { silentLogger } from '../../core/log.js';
import { loadLoghub } from '../../eval/loghub.js';
import { loadParseLogConfig } from './config.js';
import { createParseLogHandler } from './handler.js';

const config = loadParseLogConfig({ MAX_LINE_BYTES: '4096' });
const handler = async () =>
  createParseLogHandler({ kv: await createMemoryKv(), config, logger: silentLogger });
const post = (body: Uint8Array | string) =>
  new Request('http://x/?source=fuzz', { method: 'POST', body: body as BodyInit });
const events = async (r: Response) => {
  expect(r.status).toBe(200);
  const text = await r.text();
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l));
};
const enc = (s: string) => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

describe('bad lines become flagged events, neighbours untouched', () => {
  it('invalid UTF-8, NUL bytes, a 1 MB line, blank lines, unbalanced quotes', async () => {
    const h = await handler();
    const body = cat(
      enc('first good line 1\n'),
      new Uint8Array([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0x20, 0xc3, 0x0a]),
      enc('nul\u0000inside\n'),
      enc(`${'x'.repeat(1024 * 1024)}\n`),
      enc('   \t \n'),
      enc('\n'),
      enc('{"msg": "unterminated\n'),
      enc('level=info msg="open quote\n'),
      enc('last good line 2'),
    );
    const evs = await events(await h(post(body)));
    expect(evs).toHaveLength(9);
    for (const e of evs) expect(validateEvent(e)).toEqual([]);
    expect(evs[0].problems).toBeUndefined();
    expect(evs[1].problems).toContain('invalid_utf8');
    expect(evs[1].raw).toContain('\uFFFD');
    expect(evs[2].problems).toContain('nul_bytes');
    expect(evs[2].message).toBe('nulinside');
    expect(evs[3].problems).toContain('truncated');
    expect(evs[3].raw).toHaveLength(4096);
    expect(evs[4].problems).toContain('empty');
    expect(evs[5].problems).toContain('empty');
    expect(evs[6].problems).toContain('bad_json');
    expect(evs[7].problems).toContain('bad_logfmt');
    expect(evs[8].raw).toBe('last good line 2');
    expect(evs[8].problems).toBeUndefined();
  });

  it('folds tokens past MAX_TOKENS into one and flags the line', async () => {
    const h = await handler();
    const words = Array.from({ length: 500 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}`).join(' ');
    const [e] = await events(await h(post(words)));
    expect(e.problems).toContain('too_many_tokens');
    expect(e.template.split(' ')).toHaveLength(config.limits.maxTokens);
  });
});

// A small deterministic PRNG, so a failure reproduces.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

describe('fuzz: one result per input line, in order, never an error', () => {
  const real = loadLoghub().flatMap((d) => d.lines.slice(0, 40));
  it.each([1, 2, 3])('seed %i', async (seed) => {
    const rand = rng(seed);
    const h = await handler();
    const lines: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      let bytes: Uint8Array;
      if (rand() < 0.4) {
        bytes = new Uint8Array(Math.floor(rand() * 200));
        for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
      } else {
        bytes = enc(real[Math.floor(rand() * real.length)]);
        const edits = Math.floor(rand() * 6);
        for (let k = 0; k < edits && bytes.length; k++)
          bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      }
      // Newlines inside a "line" would make two lines; the fuzzer keeps the line count known.
      lines.push(bytes.map((b) => (b === 10 ? 32 : b)));
    }
    const body = cat(...lines.flatMap((l, i) => (i ? [enc('\n'), l] : [l])));
    const evs = await events(await h(post(body)));
    expect(evs).toHaveLength(lines.length);
    const lenient = new TextDecoder();
    evs.forEach((e, i) => {
      expect(validateEvent(e)).toEqual([]);
      const text = lenient.decode(lines[i]).replace(/\r$/, '');
      expect(e.raw).toBe(text.length > 4096 ? e.raw : text);
    });
  });
});

// The search store: chunk encoding, what a query matches, and the retention bounds on both stores.
import { describe, expect, it } from 'vitest';
import { redisUrl, requireService, tcpReachable, uniqueName } from '../../test/services.js';
import { base, randomEvents } from '../../test/support/random-events.js';
import { EnvReader } from '../env.js';
import type { LogEvent } from '../event.js';
import { encodeEventBatchBin } from '../event-batch-bin.js';
import { decodeEventBatchBinLean } from '../event-batch-bin-read.js';
import { clearKv } from '../kv/clear.js';
import { createMemoryKv } from '../kv/memory.js';
import { createRedisKv } from '../kv/redis.js';
import type { KV, WriteOp } from '../kv/types.js';
import { escapeLine, unescapeLine, wellFormed } from '../line-escape.js';
import { silentLogger } from '../log.js';
import { sampleEvent } from '../stats/sample-events.js';
import { allLines, ChunkBuilder, MAX_KEPT_CHARS } from './chunk.js';
import { DEFAULT_SEARCH_STORE, EMBEDDED_SEARCH_MAX_BYTES, readSearchStoreConfig } from './config.js';
import { needleOf, scanChunk } from './query.js';
import { readBlobs, readIndex, SEARCH_KEYS, searchWrites } from './store.js';

const redisUp = await requireService('redis', () => tcpReachable(redisUrl(), 6379));
const T0 = Date.UTC(2026, 11, 7, 12);

describe('search store config', () => {
  it('defaults to 24 h / 256 MB on Redis, 16 MB on the embedded KV; env overrides; bad values listed', () => {
    const read = (env: Record<string, string>, embedded = false) => {
      const r = new EnvReader(env);
      const c = readSearchStoreConfig(r, { embedded });
      r.done();
      return c;
    };
    expect(read({})).toEqual(DEFAULT_SEARCH_STORE);
    expect(read({}, true).maxBytes).toBe(EMBEDDED_SEARCH_MAX_BYTES);
    expect(
      read({ SEARCH_RETENTION: '2h', SEARCH_MAX_BYTES: '1048576', SEARCH_INDEX: 'off' }, true),
    ).toMatchObject({
      retentionMs: 7_200_000,
      maxBytes: 1_048_576,
      enabled: false,
    });
    expect(() => read({ SEARCH_MAX_BYTES: '10', SEARCH_RETENTION: 'soon' })).toThrow(
      /SEARCH_MAX_BYTES[\s\S]*SEARCH_RETENTION|SEARCH_RETENTION[\s\S]*SEARCH_MAX_BYTES/,
    );
  });
});

describe('chunk encoding', () => {
  it('round-trips raw text with tabs, newlines, CRs and backslashes', () => {
    for (const s of ['plain', 'a\tb', 'line1\nline2\r\n', 'C:\\temp\\n', '\\t literal', '']) {
      expect(unescapeLine(escapeLine(s))).toBe(s);
      expect(escapeLine(s)).not.toMatch(/[\t\n\r]/);
    }
    const c = new ChunkBuilder('web');
    c.add(T0, 'info', 'T1', 'GET /a\t200');
    c.add(T0 + 5, 'error', 'T2', 'boom\nstack');
    const { blob: bytes, meta } = c.build(T0 + 10);
    const blob = new TextDecoder().decode(bytes);
    expect(meta).toEqual({
      s: 'web',
      w: T0 + 10,
      a: T0,
      b: T0 + 5,
      n: 2,
      l: ['info', 'error'],
      t: ['T1', 'T2'],
    });
    expect(allLines(blob).map((x) => x.line)).toEqual([
      { ts: T0, level: 'info', templateId: 'T1', raw: 'GET /a\t200' },
      { ts: T0 + 5, level: 'error', templateId: 'T2', raw: 'boom\nstack' },
    ]);
  });

  it('writes each line as the UTF-8 of its text (lone surrogates as U+FFFD, long lines cut) and counts its characters', () => {
    // The text form the blob is the UTF-8 of: `ts \t level \t templateId \t raw`, escaped, joined by '\n'.
    const textOf = (ts: number, level: string, tid: string, raw: string) =>
      `${ts}\t${level}\t${wellFormed(tid)}\t${wellFormed(escapeLine(raw.length > MAX_KEPT_CHARS ? raw.slice(0, MAX_KEPT_CHARS) : raw))}`;
    const times = [T0, 0, 7, 10, 99, 1e15, -5, 1.5, 1e21, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2];
    const raws = [
      '',
      'plain',
      'tab\there\nand\\slash\r',
      'é ü 日本 🎉',
      'lone \ud800 high',
      'lone \udc00 low',
      `${'x'.repeat(MAX_KEPT_CHARS - 1)}🎉 cut inside the pair`,
      'y'.repeat(MAX_KEPT_CHARS * 2),
    ];
    const ids = ['T1', 'tpl-\ud83d', 'é'];
    let seed = 7;
    const pick = <T>(xs: T[]) => xs[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % xs.length];
    for (let round = 0; round < 20; round++) {
      const c = new ChunkBuilder('web', round % 3);
      const texts: string[] = [];
      for (let i = 0; i < 1 + (round % 7) * 5; i++) {
        const row = [pick(times), pick(['info', 'error']), pick(ids), pick(raws)] as const;
        c.add(...row);
        texts.push(textOf(...row));
      }
      expect(c.build(T0).blob).toEqual(new TextEncoder().encode(texts.join('\n')));
      expect(c.size).toBe(texts.reduce((n, t) => n + t.length + 1, 0));
      expect(c.count).toBe(texts.length);
    }
  });

  it("copies a decoded batch's plain ASCII raw lines as bytes: the same chunks as from their strings", () => {
    const events = [
      ...randomEvents(3000, 4),
      { ...base, raw: 'tab\there' },
      { ...base, raw: `${'z'.repeat(MAX_KEPT_CHARS + 5)} long` },
      { ...base, raw: 'é then ascii' },
      { ...base, raw: 'lone \ud800' },
      { ...base, raw: '' },
    ];
    const body = encodeEventBatchBin(events);
    const d = decodeEventBatchBinLean(body);
    expect(d.rawAt.filter((x) => x >= 0).length).toBeGreaterThan(1000);
    expect(d.rawAt.filter((x) => x < 0).length).toBeGreaterThan(100);
    const config = { ...DEFAULT_SEARCH_STORE, enabled: true };
    const times = d.times.map((t, i) => (Number.isNaN(t) ? T0 + i : t));
    const blobsOf = (ops: WriteOp[]) => ops.map((o) => (o.op === 'ringPush' ? [o.blob, o.meta] : o));
    const copied = searchWrites(d.events, times, { now: T0, config, rawBytes: { body, at: d.rawAt } });
    const encoded = searchWrites(d.events, times, { now: T0, config });
    expect(blobsOf(copied)).toEqual(blobsOf(encoded));
  });

  it('a text search hits the raw text only, case-insensitively, escapes included, newest first', () => {
    const c = new ChunkBuilder('web');
    c.add(T0, 'info', 'needle', 'nothing here');
    c.add(T0 + 1, 'info', 'T1', 'found the NEEDLE');
    c.add(T0 + 2, 'warn', 'T1', 'tab\there, needle again');
    const { blob: bytes, meta } = c.build(T0);
    const blob = new TextDecoder().decode(bytes);
    const raws = (q: string, o = {}) =>
      scanChunk(blob, meta, { q, limit: 10, ...o }, { needle: needleOf(q), before: Infinity, max: 10 }).map(
        (h) => h.hit.raw,
      );
    expect(raws('needle')).toEqual(['tab\there, needle again', 'found the NEEDLE']);
    expect(raws('tab\there')).toEqual(['tab\there, needle again']);
    expect(raws('needle', { levels: ['warn'] })).toEqual(['tab\there, needle again']);
    expect(raws('1')).toEqual([]); // only in the time column
    expect(raws('(.*)')).toEqual([]); // a literal, not a pattern
  });
});

function events(n: number, over: (i: number) => Partial<LogEvent> = () => ({})): LogEvent[] {
  return Array.from({ length: n }, (_, i) =>
    sampleEvent({ raw: `line ${i} ${'x'.repeat(80)}`, templateId: `T${i % 3}`, ...over(i) }),
  );
}

const targets = [
  { name: 'embedded', up: true, open: async () => createMemoryKv() },
  {
    name: 'redis',
    up: redisUp,
    open: () => createRedisKv({ url: redisUrl(), prefix: `${uniqueName('search')}:`, logger: silentLogger }),
  },
];

describe.each(targets)('search store retention: $name', (target) => {
  const withKv = async (f: (kv: KV) => Promise<void>) => {
    const kv = await target.open();
    try {
      await f(kv);
    } finally {
      await clearKv(kv);
      await kv.close();
    }
  };

  it.skipIf(!target.up)('keeps batches newest first; the byte bound holds and drops the oldest', async () => {
    await withKv(async (kv) => {
      const config = { ...DEFAULT_SEARCH_STORE, maxBytes: 100_000 };
      for (let b = 0; b < 30; b++) {
        const evs = events(100, (i) => ({ raw: `batch ${b} line ${i} ${'y'.repeat(80)}` }));
        await kv.apply(
          searchWrites(
            evs,
            evs.map((_, i) => T0 + b * 1000 + i),
            { now: T0 + b, config },
          ),
        );
        expect(Number(await kv.get(`${SEARCH_KEYS.ring}:bytes`))).toBeLessThanOrEqual(100_000);
      }
      const index = await readIndex(kv, { now: T0 + 30, retentionMs: config.retentionMs });
      // ~10 KB a batch: the newest 9 or so are kept, the oldest dropped with their blobs.
      expect(index.length).toBeGreaterThan(5);
      expect(index.length).toBeLessThan(12);
      expect(index[0].meta.w).toBe(T0 + 29);
      const blobs = await readBlobs(
        kv,
        index.map((c) => c.id),
      );
      expect(blobs.every((b) => b !== null)).toBe(true);
      expect(blobs[0]).toContain('batch 29 line 99');
      const stored = (await kv.keys('search:')).filter(
        (k) => k !== SEARCH_KEYS.ring && !k.endsWith(':bytes'),
      );
      expect(stored.length).toBe(index.length);
    });
  });

  it.skipIf(!target.up)(
    'keeps a line with a lone surrogate (JSON input can hold one) as U+FFFD',
    async () => {
      await withKv(async (kv) => {
        const evs = events(2, (i) => ({
          raw: i ? 'pair \ud83d\ude00 ok' : 'lone \ud800 here',
          source: 'x\udc00',
        }));
        await kv.apply(searchWrites(evs, [T0, T0], { now: T0, config: DEFAULT_SEARCH_STORE }));
        const [c] = await readIndex(kv, { now: T0, retentionMs: DEFAULT_SEARCH_STORE.retentionMs });
        const [blob] = await readBlobs(kv, [c.id]);
        expect(allLines(blob ?? '').map((l) => l.line.raw)).toEqual([
          'lone \ufffd here',
          'pair \ud83d\ude00 ok',
        ]);
        expect(c.meta.s).toBe('x\udc00');
      });
    },
  );

  it.skipIf(!target.up)('drops events older than the retention', async () => {
    await withKv(async (kv) => {
      const config = { ...DEFAULT_SEARCH_STORE, retentionMs: 300 };
      const evs = events(10);
      await kv.apply(
        searchWrites(
          evs,
          evs.map(() => T0),
          { now: Date.now(), config },
        ),
      );
      expect((await readIndex(kv, { now: Date.now(), retentionMs: 300 })).length).toBe(1);
      await new Promise((r) => setTimeout(r, 450));
      expect(await readIndex(kv, { now: Date.now(), retentionMs: 300 })).toEqual([]);
      expect(await kv.keys('search:')).toEqual([]);
    });
  });
});

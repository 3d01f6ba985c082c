// search's handler on the embedded KV, fed by detect-anomaly's handler as the pipeline feeds it.
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../core/event.js';
import { H } from '../../core/headers.js';
import { basicAuthHeader } from '../../core/http/basic-auth.js';
import { INCIDENT_KEYS, type Incident } from '../../core/incident.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import { silentLogger } from '../../core/log.js';
import { DEFAULT_SEARCH_STORE } from '../../core/search/config.js';
import { Secret } from '../../core/secrets.js';
import { sampleEvent } from '../../core/stats/sample-events.js';
import { DEFAULT_DETECT } from '../detect-anomaly/config.js';
import { createDetectAnomalyHandler } from '../detect-anomaly/handler.js';
import { createSearchHandler } from './handler.js';

const T0 = Date.UTC(2026, 11, 7, 12);
const admin = { user: 'admin', password: new Secret('s3cret') };
const AUTH = { authorization: basicAuthHeader('admin', 's3cret') };

function lines(n: number, source: string, at: number, needleAt = -1): LogEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const raw =
      i === needleAt ? `payment 7f3a-needle-91 refused for order ${i}` : `served order ${i} in ${i % 50} ms`;
    return sampleEvent({
      source,
      timestamp: new Date(at + i * 10).toISOString(),
      level: i === needleAt ? 'error' : 'info',
      templateId: i === needleAt ? 'tPay' : 'tOk',
      message: raw,
      raw,
    });
  });
}

async function stack(o: { maxScanBytes?: number } = {}) {
  const kv = await createMemoryKv();
  const detect = createDetectAnomalyHandler({
    kv,
    config: { ...DEFAULT_DETECT, minTraining: 1_000_000 },
    search: DEFAULT_SEARCH_STORE,
    logger: silentLogger,
    now: () => T0,
  });
  const search = createSearchHandler({
    kv,
    config: {
      searchStore: DEFAULT_SEARCH_STORE,
      maxScanBytes: o.maxScanBytes ?? 1 << 25,
      bucketMs: 10_000,
      admin,
    },
    now: () => T0 + 1000,
  });
  const feed = async (events: LogEvent[], batchId?: string) => {
    const res = await detect(
      new Request('http://x/', {
        method: 'POST',
        headers: batchId ? { [H.batchId]: batchId } : {},
        body: events.map((e) => JSON.stringify(e)).join('\n'),
      }),
    );
    expect(res.status).toBe(200);
  };
  const get = (query: string, headers: Record<string, string> = AUTH) =>
    search(new Request(`http://x/function/search?${query}`, { headers }));
  return { kv, feed, get };
}

describe('search handler', () => {
  it('finds a needle among 5,000 lines; another source finds nothing; no credentials: 401', async () => {
    const s = await stack();
    for (let b = 0; b < 5; b++)
      await s.feed(lines(1000, 'api', T0 - 3_600_000 + b * 10_000, b === 3 ? 417 : -1), `b${b}`);
    const res = await s.get('q=7F3A-NEEDLE&source=api');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      hits: { raw: string; source: string; ts: string }[];
      next_cursor: null;
    };
    expect(body.hits.map((h) => h.raw)).toEqual(['payment 7f3a-needle-91 refused for order 417']);
    expect(body.hits[0]).toMatchObject({ source: 'api', level: 'error', templateId: 'tPay' });
    expect(body.next_cursor).toBeNull();
    expect(((await (await s.get('q=7f3a-needle&source=web')).json()) as { hits: [] }).hits).toEqual([]);
    const denied = await s.get('q=7f3a-needle', {});
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(JSON.stringify(await denied.json())).not.toContain('payment');
    expect((await s.get('q=x', { authorization: basicAuthHeader('admin', 'wrong') })).status).toBe(401);
  });

  it('keeps a redelivered batch once (same batch id)', async () => {
    const s = await stack();
    const batch = lines(100, 'api', T0, 5);
    await s.feed(batch, 'same');
    await s.feed(batch, 'same');
    const body = (await (await s.get('q=needle')).json()) as { hits: unknown[] };
    expect(body.hits.length).toBe(1);
  });

  it('pages with the cursor through every hit exactly once, newest first; NDJSON on request', async () => {
    const s = await stack();
    for (let b = 0; b < 3; b++) await s.feed(lines(500, 'api', T0 + b * 10_000), `p${b}`);
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 20; page++) {
      const r = (await (
        await s.get(`q=served order 4&limit=37${cursor ? `&cursor=${cursor}` : ''}`)
      ).json()) as {
        hits: { raw: string; ts: string }[];
        next_cursor: string | null;
      };
      seen.push(...r.hits.map((h) => `${h.ts} ${h.raw}`));
      if (!r.next_cursor) break;
      cursor = r.next_cursor;
    }
    // 'served order 4', '4x', '4xx' in each 500-line batch: 1 + 10 + 100 = 111, three batches.
    expect(seen.length).toBe(333);
    expect(new Set(seen).size).toBe(333);
    expect([...seen].sort().reverse()).toEqual(seen);
    const nd = await s.get('q=served order 499&format=ndjson');
    expect(nd.headers.get('content-type')).toMatch(/ndjson/);
    expect(
      (await nd.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).raw),
    ).toEqual(['served order 499 in 49 ms', 'served order 499 in 49 ms', 'served order 499 in 49 ms']);
  });

  it('answers within its scan budget with a cursor that goes on', async () => {
    const s = await stack({ maxScanBytes: 1024 });
    for (let b = 0; b < 4; b++) await s.feed(lines(200, 'api', T0 + b * 10_000, b === 0 ? 7 : -1), `s${b}`);
    const first = (await (await s.get('q=needle')).json()) as {
      hits: unknown[];
      next_cursor: string;
      scanned: { chunks: number };
    };
    expect(first.hits).toEqual([]);
    expect(first.scanned.chunks).toBe(1);
    let cursor = first.next_cursor;
    let found = 0;
    while (cursor) {
      const r = (await (await s.get(`q=needle&cursor=${cursor}`)).json()) as {
        hits: unknown[];
        next_cursor: string;
      };
      found += r.hits.length;
      cursor = r.next_cursor;
    }
    expect(found).toBe(1);
  });

  it('rejects bad input with a JSON 400', async () => {
    const s = await stack();
    for (const q of [
      'level=loud',
      'limit=0',
      'limit=5000',
      'from=yesterday',
      'cursor=zzz',
      'incident=../x',
      'context=-1&incident=ab',
      'from=2026-12-07T12:00:00Z&to=2026-12-07T11:00:00Z',
    ]) {
      const res = await s.get(q);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBeTruthy();
    }
    expect((await s.get('incident=abcdef')).status).toBe(404);
  });

  it('opens an incident to the lines before and after it in its source, its own marked', async () => {
    const s = await stack();
    await s.feed(lines(300, 'api', T0), 'c1');
    await s.feed(lines(300, 'web', T0), 'c2');
    const inc: Incident = {
      id: 'abc123',
      source: 'api',
      kind: 'new_template',
      templateId: 'tOk',
      template: 'served order <*> in <*> ms',
      firstTs: new Date(T0 + 1000).toISOString(),
      lastTs: new Date(T0 + 1020).toISOString(),
      count: 3,
      reasons: ['new template'],
      examples: [],
      status: 'closed',
      updatedAt: T0,
    };
    await s.kv.apply([{ op: 'lpush', key: INCIDENT_KEYS.closed, values: [JSON.stringify(inc)], cap: 10 }]);
    const r = (await (await s.get('incident=abc123&context=5')).json()) as {
      incident: Incident;
      lines: { raw: string; source: string; anomalous: boolean }[];
      kept: boolean;
    };
    expect(r.incident.id).toBe('abc123');
    expect(r.kept).toBe(true);
    expect(r.lines.map((l) => `${l.anomalous ? '*' : ' '}${l.raw.split(' in ')[0]}`)).toEqual([
      ' served order 95',
      ' served order 96',
      ' served order 97',
      ' served order 98',
      ' served order 99',
      '*served order 100',
      '*served order 101',
      '*served order 102',
      ' served order 103',
      ' served order 104',
      ' served order 105',
      ' served order 106',
      ' served order 107',
    ]);
    expect(new Set(r.lines.map((l) => l.source))).toEqual(new Set(['api']));
  });
});

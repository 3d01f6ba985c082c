// `logfaas search`: usage errors, and the command against the real search handler on a local socket
// (served at the gateway's /function/search path): cursors followed up to --limit, --json, --incident
// with its lines marked, control characters printed as text, exit 4 on a wrong password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../core/event.js';
import { type RunningServer, serve } from '../../core/http/serve.js';
import { INCIDENT_KEYS, type Incident } from '../../core/incident.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV } from '../../core/kv/types.js';
import { DEFAULT_SEARCH_STORE } from '../../core/search/config.js';
import { searchWrites } from '../../core/search/store.js';
import { Secret } from '../../core/secrets.js';
import { sampleEvent } from '../../core/stats/sample-events.js';
import { createSearchHandler } from '../../functions/search/handler.js';
import { captureIo, serveOpts } from '../../test/support/cli-io.js';
import { UsageError } from '../command.js';
import { printable, searchCommand } from './search.js';

const T0 = Date.now() - 60_000;
let kv: KV;
let server: RunningServer;
let env: Record<string, string>;

beforeAll(async () => {
  kv = await createMemoryKv();
  // Three batches of 100 lines of `api`; line 50 of the second one carries a terminal escape.
  for (let b = 0; b < 3; b++) {
    const events: LogEvent[] = Array.from({ length: 100 }, (_, i) => {
      const raw = b === 1 && i === 50 ? 'boom \u001b[31mred\u001b[0m\nsecond' : `served order ${b * 100 + i}`;
      return sampleEvent({
        source: 'api',
        level: b === 1 && i === 50 ? 'error' : 'info',
        templateId: b === 1 && i === 50 ? 'tErr' : 'tOk',
        raw,
        message: raw,
      });
    });
    await kv.apply(
      searchWrites(
        events,
        events.map((_, i) => T0 + (b * 100 + i) * 100),
        { now: Date.now() - 3 + b, config: DEFAULT_SEARCH_STORE },
      ),
    );
  }
  const inc: Incident = {
    id: 'abc123',
    source: 'api',
    kind: 'new_template',
    templateId: 'tErr',
    firstTs: new Date(T0 + 150 * 100).toISOString(),
    lastTs: new Date(T0 + 150 * 100).toISOString(),
    count: 1,
    reasons: ['new template after warm-up'],
    examples: [],
    status: 'closed',
    updatedAt: Date.now(),
  };
  await kv.apply([{ op: 'lpush', key: INCIDENT_KEYS.closed, values: [JSON.stringify(inc)], cap: 10 }]);
  const admin = { user: 'admin', password: new Secret('pw') };
  server = await serve(
    createSearchHandler({
      kv,
      // A tiny scan budget: every page reads one chunk, so the command must follow cursors.
      config: { searchStore: DEFAULT_SEARCH_STORE, maxScanBytes: 1024, bucketMs: 10_000, admin },
    }),
    serveOpts,
  );
  env = { OPENFAAS_URL: server.url, OPENFAAS_PASSWORD: 'pw', DATA_DIR: '/nonexistent' };
});
afterAll(async () => {
  await server?.close();
  await kv?.close();
});

describe('logfaas search', () => {
  it.each([
    [[], /expected TEXT/],
    [['a', 'b'], /expected one TEXT/],
    [['x', '--since', 'soon'], /--since must be a duration/],
    [['x', '--limit', '0'], /--limit must be an integer/],
    [['x', '--context', '5'], /--context goes with --incident/],
    [['x', '--incident', 'ab12'], /--incident takes no TEXT/],
    [['--incident', 'ab12', '--context', 'many'], /--context must be an integer/],
  ])('%j is a usage error', async (argv, msg) => {
    const run = searchCommand.run(argv, captureIo().cli);
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(msg);
  });

  it('prints control characters (terminal escapes included) as text', () => {
    expect(printable('a\u001b[31mred\u0007\r\nnext\tok')).toBe('a\\x1b[31mred\\x07\\r\\nnext\tok');
  });

  it('follows cursors up to --limit, newest first; --json is NDJSON', async () => {
    const a = captureIo(env);
    expect(await searchCommand.run(['served order', '--limit', '150', '--json'], a.cli)).toBe(0);
    const hits = a.buf.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { raw: string });
    expect(hits.length).toBe(150);
    expect(hits[0].raw).toBe('served order 299');
    expect(hits[149].raw).toBe('served order 149');
    const b = captureIo(env);
    expect(await searchCommand.run(['BOOM', '--level', 'error', '--since', '1h'], b.cli)).toBe(0);
    expect(b.buf.out).toMatch(/ {2}api {2}error {2}boom \\x1b\[31mred\\x1b\[0m\\nsecond\n$/);
    expect(b.buf.out).not.toContain('\u001b');
    expect(b.buf.err).toBe('1 line(s)\n');
  });

  it('--incident prints the lines around it, its own marked', async () => {
    const a = captureIo(env);
    expect(await searchCommand.run(['--incident', 'abc123', '--context', '2'], a.cli)).toBe(0);
    const lines = a.buf.out.trimEnd().split('\n');
    expect(lines[0]).toBe('incident abc123: new_template in "api": new template after warm-up');
    expect(lines.slice(1).map((l) => l.replace(/^(..)\S+ {2}\S+ {2}\S+ +/, '$1'))).toEqual([
      '  served order 148',
      '  served order 149',
      '> boom \\x1b[31mred\\x1b[0m\\nsecond',
      '  served order 151',
      '  served order 152',
    ]);
    const missing = captureIo(env);
    expect(await searchCommand.run(['--incident', 'ffff'], missing.cli)).toBe(1);
    expect(missing.buf.err).toMatch(/search answered 404/);
  });

  it('exits 4 when the password is refused', async () => {
    const a = captureIo({ ...env, OPENFAAS_PASSWORD: 'wrong' });
    expect(await searchCommand.run(['x'], a.cli)).toBe(4);
    expect(a.buf.err).toMatch(/authentication failed/);
  });
});

// Search through the real stack: real RabbitMQ + Redis, every component a process. A needle among 5,000
// lines is found by the API and by `logfaas search`; another source's filter finds nothing; without the
// admin credentials the answer is 401.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { basicAuthHeader } from '../../core/http/basic-auth.js';
import type { StatsDoc } from '../../core/stats/doc.js';
import type { ProcessStack } from '../../runner/processes.js';
import { uniqueName } from '../services.js';
import { servicesUp, startTestStack, stopTestStack } from './stack.js';

const up = await servicesUp();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PASSWORD = 'search-e2e-admin-password';
const NEEDLE = 'kq7-zebra-4411';
const T0 = Date.now() - 600_000;

function lines(n: number, needleAt: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const ts = new Date(T0 + i * 20).toISOString();
    return i === needleAt
      ? JSON.stringify({ ts, level: 'error', msg: `card gateway refused request ${NEEDLE} after 3 retries` })
      : JSON.stringify({ ts, level: 'info', msg: `served order ${10_000 + i} in ${20 + (i % 30)} ms` });
  });
}

describe.skipIf(!up)('search through the real stack', () => {
  const ns = uniqueName('search');
  const dataDir = mkdtempSync(join(tmpdir(), 'logfaas-search-'));
  let stack: ProcessStack | undefined;

  afterAll(() => stopTestStack({ ns, stack }));

  it('finds a needle among 5,000 lines by the API and the CLI; filters and auth hold', async () => {
    expect(existsSync('dist/functions/search.mjs'), 'run `node build.mjs` first (npm test does)').toBe(true);
    stack = await startTestStack({
      ns,
      dataDir,
      password: PASSWORD,
    });
    const s = stack;
    const send = async (source: string, body: string[]) => {
      const post = () =>
        fetch(`${s.gatewayUrl}/function/producer?source=${source}`, {
          method: 'POST',
          body: `${body.join('\n')}\n`,
        });
      let res = await post();
      // Until the connector has bound its queues the producer answers 503: try again.
      for (const until = Date.now() + 20_000; res.status === 503 && Date.now() < until; res = await post())
        await sleep(250);
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    };
    await send('api', lines(5000, 3217));
    await send('web', lines(1000, -1));
    const until = Date.now() + 60_000;
    let total = 0;
    while (total < 6000 && Date.now() < until) {
      await sleep(250);
      total = ((await (await fetch(`${s.gatewayUrl}/function/stats`)).json()) as StatsDoc).total;
    }
    expect(total).toBe(6000);

    const auth = { authorization: basicAuthHeader('admin', PASSWORD) };
    const api = async (q: string) => {
      const res = await fetch(`${s.gatewayUrl}/function/search?${q}`, { headers: auth });
      expect(res.status).toBe(200);
      return (await res.json()) as { hits: { raw: string; source: string; level: string }[] };
    };
    const found = await api(`q=${NEEDLE.toUpperCase()}`);
    expect(found.hits.map((h) => [h.source, h.level, h.raw])).toEqual([
      [
        'api',
        'error',
        JSON.stringify({
          ts: new Date(T0 + 3217 * 20).toISOString(),
          level: 'error',
          msg: `card gateway refused request ${NEEDLE} after 3 retries`,
        }),
      ],
    ]);
    expect((await api(`q=${NEEDLE}&source=web`)).hits).toEqual([]);
    expect((await api('q=served order&source=web&limit=1000')).hits.length).toBe(1000);
    const denied = await fetch(`${s.gatewayUrl}/function/search?q=${NEEDLE}`);
    expect(denied.status).toBe(401);
    expect(await denied.text()).not.toContain(NEEDLE);

    const cli = (args: string[]) =>
      execFileSync(
        process.execPath,
        ['dist/cli.mjs', 'search', ...args, '--gateway', s.gatewayUrl, '--password', PASSWORD],
        {
          encoding: 'utf8',
        },
      );
    const out = cli([NEEDLE, '--source', 'api', '--json']).trim().split('\n');
    expect(out.length).toBe(1);
    expect(JSON.parse(out[0])).toMatchObject({ source: 'api', level: 'error' });
    expect(cli([NEEDLE, '--source', 'web', '--json'])).toBe('');
    expect(cli([NEEDLE, '--since', '1h'])).toContain(`refused request ${NEEDLE}`);
    let code = 0;
    try {
      execFileSync(
        process.execPath,
        ['dist/cli.mjs', 'search', NEEDLE, '--gateway', s.gatewayUrl, '--password', 'wrong'],
        {
          stdio: 'pipe',
        },
      );
    } catch (e) {
      code = (e as { status: number }).status;
    }
    expect(code).toBe(4);
  }, 180_000);
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './command.js';
import { analyzeCommand } from './commands/analyze.js';
import { parseCommand } from './commands/parse.js';
import { sourceFromName } from './commands/send.js';
import { sourceFromPath } from './source-name.js';

describe('sourceFromPath: the default source of every command', () => {
  it.each([
    ['/var/log/nginx/error.log', 'nginx-error'],
    ['/var/log/mysql/error.log', 'mysql-error'],
    ['/var/log/nginx/access.log', 'nginx-access'],
    ['/var/log/nginx/access.log.1', 'nginx-access'],
    ['/var/log/nginx/access.log.2.gz', 'nginx-access'],
    ['/var/log/syslog', 'syslog'],
    ['/var/log/messages', 'messages'],
    ['/var/log/dpkg.log', 'dpkg'],
    ['/var/log/apt/history.log', 'history'],
    ['/var/log/rabbitmq/rabbit@host.log', 'rabbit-host'],
    ['/var/log/nginx-access.log.1', 'nginx-access'],
    ['/srv/shop/logs/error.log', 'shop-error'],
    ['/var/log/error.log', 'error'],
    ['my app (prod).txt', 'my-app-prod-'],
    ['-', 'stdin'],
  ])('%s -> %s', (file, want) => {
    expect(sourceFromPath(file, '/home/u')).toBe(want);
  });

  it('takes the folder of a relative path from the working directory', () => {
    expect(sourceFromPath('error.log', '/var/log/redis')).toBe('redis-error');
    expect(sourceFromPath('./access.log', '/home/u/sites/shop')).toBe('shop-access');
  });
});

describe('every command names a file the same way', () => {
  it('send, analyze and parse all call nginx/access.log "nginx-access"', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'logfaas-source-')), 'nginx');
    mkdirSync(dir);
    const file = join(dir, 'access.log');
    const line = (i: number) =>
      `127.0.0.1 - - [07/Dec/2026:04:05:${String(i % 60).padStart(2, '0')} +0000] "GET /a HTTP/1.1" 200 12`;
    writeFileSync(file, `${Array.from({ length: 50 }, (_, i) => line(i)).join('\n')}\n`);
    expect(sourceFromName(file)).toBe('nginx-access');
    const parsed = capture();
    expect(await parseCommand.run([file], parsed.io)).toBe(0);
    const events = parsed
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(new Set(events.map((e) => e.source))).toEqual(new Set(['nginx-access']));
    const analyzed = capture();
    expect(await analyzeCommand.run([file], analyzed.io)).toBe(0);
    expect(analyzed.out()).toContain("source 'nginx-access'");
  });
});

function capture(): { io: CliIo; out: () => string } {
  const stdout = new PassThrough();
  let o = '';
  stdout.on('data', (d) => (o += d));
  return { io: { stdout, stderr: new PassThrough(), stdin: Readable.from([]), env: {} }, out: () => o };
}

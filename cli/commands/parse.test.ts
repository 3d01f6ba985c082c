import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../command.js';
import { parseCommand } from './parse.js';

function io(stdin = ''): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => (o += d));
  stderr.on('data', (d) => (e += d));
  return {
    io: { stdout, stderr, stdin: Readable.from([Buffer.from(stdin)]), env: {} },
    out: () => o,
    err: () => e,
  };
}

describe('logfaas parse', () => {
  it('reads stdin and writes one event per line, in order, with template ids', async () => {
    const t = io('job 1 done\njob 2 done\n\nsomething else\n');
    expect(await parseCommand.run(['--source', 'cli'], t.io)).toBe(0);
    const evs = t
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(evs.map((e) => e.raw)).toEqual(['job 1 done', 'job 2 done', '', 'something else']);
    expect(evs[0].templateId).toBe(evs[1].templateId);
    expect(evs[0].template).toBe('job <*> done');
    expect(evs.every((e) => e.source === 'cli')).toBe(true);
  });

  it('applies --log-format to a FILE, and lists templates with --templates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logfaas-parse-'));
    const file = join(dir, 'x.log');
    writeFileSync(file, '[a] hello 1\n[b] hello 2\n[c] bye\n');
    const t = io();
    expect(await parseCommand.run(['-f', '\\[<Tag>\\] <Content>', file], t.io)).toBe(0);
    const evs = t
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(evs.map((e) => e.message)).toEqual(['hello 1', 'hello 2', 'bye']);
    const l = io();
    expect(await parseCommand.run(['--templates', '-f', '\\[<Tag>\\] <Content>', file], l.io)).toBe(0);
    expect(l.out()).toMatch(/^\s+2 {2}t[0-9a-f]{16} {2}hello <\*>\n/);
  });

  it('rejects a bad format string as a usage error', async () => {
    await expect(parseCommand.run(['--log-format', 'no fields'], io().io)).rejects.toThrow(/--log-format/);
  });
});

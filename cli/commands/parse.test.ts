import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../command.js';
import { parseCommand } from './parse.js';

function io(stdin: string | string[] = ''): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => (o += d));
  stderr.on('data', (d) => (e += d));
  return {
    io: {
      stdout,
      stderr,
      stdin: Readable.from((Array.isArray(stdin) ? stdin : [stdin]).map((x) => Buffer.from(x))),
      env: {},
    },
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

  it('makes a trace one event even when a read chunk ends inside it; --no-multiline: one per line', async () => {
    const plain = Array.from({ length: 498 }, (_, i) => `job ${i} done`);
    const trace = ['ERROR job 498 failed', 'java.lang.IllegalStateException: boom', '\tat a.B.c(B.java:1)'];
    const more = ['Caused by: java.io.IOException: x', '\t... 3 more', 'job 499 done'];
    // Two reads: the first ends 501 lines in, inside the trace.
    const input = [`${[...plain, ...trace].join('\n')}\n`, `${more.join('\n')}\n`];
    const t = io(input);
    expect(await parseCommand.run([], t.io)).toBe(0);
    const evs = t
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(evs.length).toBe(500);
    expect(evs[498].raw).toBe(trace[0]);
    expect(evs[498].stack).toBe([...trace.slice(1), ...more.slice(0, 2)].join('\n'));
    expect(evs[499].raw).toBe('job 499 done');
    const flat = io(input);
    expect(await parseCommand.run(['--no-multiline'], flat.io)).toBe(0);
    expect(flat.out().trim().split('\n').length).toBe(504);
  });

  it('rejects a bad format string as a usage error', async () => {
    await expect(parseCommand.run(['--log-format', 'no fields'], io().io)).rejects.toThrow(/--log-format/);
  });
});

// `logfaas search`: usage errors and how a log line is printed (the e2e test runs it against the stack).
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type CliIo, UsageError } from '../command.js';
import { printable, searchCommand } from './search.js';

const io = (): CliIo => ({
  stdout: new PassThrough(),
  stderr: new PassThrough(),
  stdin: Readable.from([]),
  env: {},
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
    const run = searchCommand.run(argv, io());
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(msg);
  });

  it('prints control characters (terminal escapes included) as text', () => {
    expect(printable('a\u001b[31mred\u0007\r\nnext\tok')).toBe('a\\x1b[31mred\\x07\\r\\nnext\tok');
  });
});

// Flag errors in the CLI's own words (#17 item 9): no raw parser message, the nearest valid flag, and
// the command's usage line, checked on the built CLI as a user runs it.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { closestFlag, parseFlags } from './args.js';
import { UsageError } from './command.js';

const SPEC = {
  source: { type: 'string', short: 's' },
  follow: { type: 'boolean', short: 'F' },
  'no-resume': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const usageError = (argv: string[]) => {
  try {
    parseFlags(argv, SPEC);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('flag errors', () => {
  it.each([
    [['--sourc', 'x'], 'unknown option --sourc (did you mean --source?)'],
    [['--folow'], 'unknown option --folow (did you mean --follow?)'],
    [['--no-resum'], 'unknown option --no-resum (did you mean --no-resume?)'],
    [['--bogus'], 'unknown option --bogus'],
    [['-x'], 'unknown option -x'],
    [['--source'], '--source needs a value'],
    [['--follow=yes'], '--follow takes no value'],
  ])('%j -> %s', (argv, msg) => {
    expect(usageError(argv)).toBe(msg);
  });

  it('suggests only near flags, or the one a prefix names', () => {
    expect(closestFlag('--jsn', ['--json', '--source'])).toBe('--json');
    expect(closestFlag('--sou', ['--json', '--source'])).toBe('--source');
    expect(closestFlag('--zzzzzz', ['--json', '--source'])).toBeUndefined();
  });

  it('the built CLI prints the usage line and the nearest flag, with balanced quotes', () => {
    const r = spawnSync(process.execPath, ['dist/cli.mjs', 'send', '--sorce', 'x', 'a.log'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      [
        'logfaas send: unknown option --sorce (did you mean --source?)',
        'Usage: logfaas send [options] [FILE... | -]',
        "Run 'logfaas send --help' for every option.",
        '',
      ].join('\n'),
    );
    const up = spawnSync(process.execPath, ['dist/cli.mjs', 'up', '--no-simulat'], { encoding: 'utf8' });
    expect(up.status).toBe(2);
    expect(up.stderr).toMatch(/^logfaas up: unknown option --no-simulat \(did you mean --no-simulate\?\)\n/);
  });
});

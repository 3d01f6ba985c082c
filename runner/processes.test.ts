// The processes `logfaas up --processes` starts must run with the memory settings the containers have.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_NODE_ARGS, NODE_ARGS, RUNTIME_ENV } from './processes.js';

describe('NODE_ARGS and RUNTIME_ENV', () => {
  it('are what the Dockerfile runs every image with', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const env = /^ENV ((?:.*\\\n)*.*)$/m.exec(dockerfile)?.[1] ?? '';
    for (const [k, v] of Object.entries(RUNTIME_ENV)) expect(env).toMatch(new RegExp(`\\b${k}=${v}\\b`));
    expect(dockerfile).toContain(`exec node ${NODE_ARGS.join(' ')} dist/`);
  });

  // `npm start` and the `logfaas` bin run the whole stack in one process: it gets the same settings.
  it('is what npm start and the logfaas bin run with', () => {
    const start = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string;
    const shebang = readFileSync('bin/logfaas.mjs', 'utf8').split('\n')[0];
    const expected = `MALLOC_MMAP_THRESHOLD_=${RUNTIME_ENV.MALLOC_MMAP_THRESHOLD_} node ${EMBEDDED_NODE_ARGS.join(' ')}`;
    expect(start).toContain(`${expected} dist/cli.mjs up`);
    expect(shebang).toBe(`#!/usr/bin/env -S ${expected}`);
  });

  it('holds only flags this Node accepts', () => {
    const v8 = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    for (const flag of [...NODE_ARGS, ...EMBEDDED_NODE_ARGS]) {
      const name = flag.split('=')[0];
      expect(process.allowedNodeEnvironmentFlags.has(name) || v8.includes(`  ${name} `)).toBe(true);
    }
    // Node refuses to start on an unknown flag: prove these start it.
    for (const args of [NODE_ARGS, EMBEDDED_NODE_ARGS]) {
      const out = execFileSync(process.execPath, [...args, '-e', 'process.stdout.write("ok")'], {
        encoding: 'utf8',
      });
      expect(out).toBe('ok');
    }
  });
});

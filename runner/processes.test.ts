// The processes `logfaas up --processes` starts must run with the memory settings the containers have.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUNTIME_ENV } from './processes.js';

describe('RUNTIME_ENV', () => {
  it('is what the Dockerfile sets for every image', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const env = /^ENV ((?:.*\\\n)*.*)$/m.exec(dockerfile)?.[1] ?? '';
    for (const [k, v] of Object.entries(RUNTIME_ENV)) expect(env).toMatch(new RegExp(`\\b${k}=${v}\\b`));
  });

  it('holds only options Node accepts in NODE_OPTIONS', () => {
    for (const flag of RUNTIME_ENV.NODE_OPTIONS.split(' '))
      expect(process.allowedNodeEnvironmentFlags.has(flag.split('=')[0])).toBe(true);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseStack } from './stack.js';

describe('parseStack', () => {
  it('reads the project stack.yml: five functions with their topics', () => {
    const fns = parseStack(readFileSync('stack.yml', 'utf8'), {});
    expect(fns.map((f) => f.name).sort()).toEqual([
      'detect-anomaly',
      'notify',
      'parse-log',
      'producer',
      'search',
      'stats',
    ]);
    const byName = Object.fromEntries(fns.map((f) => [f.name, f]));
    expect(byName['parse-log'].annotations).toMatchObject({
      topic: 'logs.raw',
      'output-topic': 'logs.parsed',
    });
    expect(byName['detect-anomaly'].annotations).toMatchObject({
      topic: 'logs.parsed',
      'output-topic': 'logs.anomalies',
    });
    expect(byName.stats.annotations.topic).toBeUndefined();
    expect(byName['parse-log'].image).toBe('ghcr.io/logfaas/parse-log:0.1.0');
  });

  it('substitutes ${VAR:-default} in image names', () => {
    const fns = parseStack('functions:\n  a:\n    image: ${REGISTRY:-r}/a:${TAG:-1}\n', { TAG: '2' });
    expect(fns[0].image).toBe('r/a:2');
  });

  it('rejects a file without functions', () => {
    expect(() => parseStack('version: 1.0\n')).toThrow(/functions/);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, EnvReader } from './env.js';
import { readFunctionAddresses, replicaUrls, roundRobin } from './function-urls.js';

const read = (env: Record<string, string>) => {
  const r = new EnvReader(env);
  const a = readFunctionAddresses(r);
  r.done();
  return a;
};

describe('function addresses', () => {
  it('reads overrides and the template; a function without an override gets the template', () => {
    const a = read({
      FUNCTION_URLS: 'parse-log=http://127.0.0.1:1/|http://127.0.0.1:2 , stats=http://s:3',
      FUNCTION_URL_TEMPLATE: 'http://{name}.openfaas-fn:8080/',
    });
    expect(replicaUrls(a, 'parse-log')).toEqual(['http://127.0.0.1:1', 'http://127.0.0.1:2']);
    expect(replicaUrls(a, 'stats')).toEqual(['http://s:3']);
    expect(replicaUrls(a, 'notify')).toEqual(['http://notify.openfaas-fn:8080']);
    expect(replicaUrls(read({}), 'search')).toEqual(['http://search:8080']);
  });

  it('says what is wrong with a bad entry or template', () => {
    expect(() => read({ FUNCTION_URLS: 'http://x:1' })).toThrow(ConfigError);
    expect(() => read({ FUNCTION_URLS: 'a=' })).toThrow(/name=url/);
    expect(() => read({ FUNCTION_URL_TEMPLATE: 'tcp://{name}' })).toThrow(/FUNCTION_URL_TEMPLATE/);
  });

  it('round-robin: each call starts one replica further on and lists the rest after it', () => {
    const next = roundRobin<string>();
    const urls = ['a', 'b', 'c'];
    expect([next('f', urls), next('f', urls), next('f', urls), next('f', urls)]).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c', 'a'],
      ['c', 'a', 'b'],
      ['a', 'b', 'c'],
    ]);
    expect(next('g', urls)[0]).toBe('a');
    expect(next('h', ['only'])).toEqual(['only']);
  });
});

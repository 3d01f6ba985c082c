// Store config: REDIS_CLUSTER_NODES and REDIS_WAIT_* are read once, and a bad value is a startup error.
import { describe, expect, it } from 'vitest';
import { ConfigError, EnvReader } from './env.js';
import { readStoreConfig } from './stores-config.js';

const read = (env: Record<string, string>) => {
  const r = new EnvReader(env);
  const cfg = readStoreConfig(r, env);
  r.done();
  return cfg;
};

describe('store config', () => {
  it('reads cluster seed nodes and the replica wait', () => {
    const cfg = read({
      REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7001',
      REDIS_WAIT_REPLICAS: '1',
      REDIS_WAIT_TIMEOUT: '500ms',
    });
    expect(cfg.redisClusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ]);
    expect(cfg.redisWait).toEqual({ replicas: 1, timeoutMs: 500 });
    expect(read({}).redisClusterNodes).toBeUndefined();
    expect(read({}).redisWait).toEqual({ replicas: 0, timeoutMs: 1000 });
  });

  it('refuses a node that is not host:port, and an empty list', () => {
    expect(() => read({ REDIS_CLUSTER_NODES: '10.0.0.1' })).toThrow(ConfigError);
    expect(() => read({ REDIS_CLUSTER_NODES: ' , ' })).toThrow(/no host:port/);
    expect(() => read({ REDIS_WAIT_REPLICAS: '-1' })).toThrow(ConfigError);
  });
});

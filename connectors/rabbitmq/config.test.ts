import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/env.js';
import { loadConnectorConfig } from './config.js';

const base = { AMQP_URL: 'amqp://127.0.0.1', SECRETS_DIR: '/nonexistent' };

describe('connector config', () => {
  it('invokes through the gateway unless GATEWAY_INVOKE=false', () => {
    expect(loadConnectorConfig(base).direct).toBeUndefined();
    const cfg = loadConnectorConfig({
      ...base,
      GATEWAY_INVOKE: 'false',
      FUNCTION_URLS: 'parse-log=http://127.0.0.1:7001|http://127.0.0.1:7002',
    });
    expect(cfg.direct).toEqual({
      template: 'http://{name}:8080',
      urls: { 'parse-log': ['http://127.0.0.1:7001', 'http://127.0.0.1:7002'] },
    });
  });

  it('says what is wrong', () => {
    expect(() => loadConnectorConfig({ ...base, GATEWAY_INVOKE: 'maybe' })).toThrow(/GATEWAY_INVOKE/);
    expect(() => loadConnectorConfig({ ...base, GATEWAY_INVOKE: 'false', FUNCTION_URLS: 'x' })).toThrow(
      ConfigError,
    );
  });
});

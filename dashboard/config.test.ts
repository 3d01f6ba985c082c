import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/env.js';
import { loadDashboardConfig } from './config.js';

describe('loadDashboardConfig', () => {
  it('has defaults', () => {
    const c = loadDashboardConfig({});
    expect(c).toEqual({ port: 5000, gatewayUrl: 'http://127.0.0.1:8080', assetsDir: 'dist/dashboard' });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('takes PORT over DASHBOARD_PORT, and the gateway URL without a trailing slash', () => {
    expect(loadDashboardConfig({ DASHBOARD_PORT: '5001' }).port).toBe(5001);
    expect(loadDashboardConfig({ DASHBOARD_PORT: '5001', PORT: '5002' }).port).toBe(5002);
    expect(loadDashboardConfig({ GATEWAY_URL: 'http://gw:8080//' }).gatewayUrl).toBe('http://gw:8080');
  });
  it('rejects a bad port', () => {
    expect(() => loadDashboardConfig({ PORT: 'http' })).toThrow(ConfigError);
    expect(() => loadDashboardConfig({ DASHBOARD_PORT: '70000' })).toThrow(/DASHBOARD_PORT/);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/env.js';
import { loadSyslogConfig, requirePort, TLS_CERT_SECRET, TLS_KEY_SECRET } from './config.js';

describe('loadSyslogConfig', () => {
  it('is off without SYSLOG_PORT and listens on UDP and TCP with it', () => {
    expect(loadSyslogConfig({}).port).toBeUndefined();
    expect(() => requirePort(loadSyslogConfig({}))).toThrow(/SYSLOG_PORT is required/);
    const c = loadSyslogConfig({ SYSLOG_PORT: '5140' });
    expect(c).toMatchObject({ port: 5140, udp: true, tcp: true, tls: undefined, defaultSource: 'syslog' });
    expect(loadSyslogConfig({ SYSLOG_PORT: '5140', SYSLOG_PROTOCOLS: 'tcp' })).toMatchObject({
      udp: false,
      tcp: true,
    });
  });

  it('lists every bad key at once', () => {
    const env = {
      SYSLOG_PORT: '99999',
      SYSLOG_PROTOCOLS: 'udp,sctp',
      SYSLOG_BATCH_LINES: '0',
      SYSLOG_DEFAULT_SOURCE: '-bad',
      SYSLOG_TLS_PORT: '6514',
      SECRETS_DIR: '/nonexistent',
    };
    try {
      loadSyslogConfig(env);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const p = (e as ConfigError).problems.join('\n');
      for (const k of ['SYSLOG_PORT', 'sctp', 'SYSLOG_BATCH_LINES', 'SYSLOG_DEFAULT_SOURCE', TLS_CERT_SECRET])
        expect(p).toContain(k);
    }
  });

  it('reads the TLS certificate and key from secret files, redacted when printed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'syslog-secrets-'));
    writeFileSync(join(dir, TLS_CERT_SECRET), 'CERT PEM\n');
    writeFileSync(join(dir, TLS_KEY_SECRET), 'KEY PEM\n');
    const c = loadSyslogConfig({ SYSLOG_PORT: '5140', SYSLOG_TLS_PORT: '6514', SECRETS_DIR: dir });
    expect(c.tls?.port).toBe(6514);
    expect(c.tls?.key.reveal()).toBe('KEY PEM');
    expect(JSON.stringify(c)).not.toContain('KEY PEM');
  });
});

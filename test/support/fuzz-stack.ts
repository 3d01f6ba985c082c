// Test support: the embedded stack as the fuzz suites run it (no simulator, a data dir and KV prefix of
// their own, logs only with FUZZ_DEBUG=1 since the fuzzers provoke errors on purpose).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, silentLogger } from '../../core/log.js';
import { Secret } from '../../core/secrets.js';
import { type EmbeddedStack, startEmbeddedStack } from '../../runner/embedded.js';

/** `dataDirPrefix` names the temp data dir; `env` is added to SIMULATE_SCHEDULE=off. */
export function startFuzzStack(
  redisPrefix: string,
  dataDirPrefix: string,
  env: Record<string, string> = {},
): Promise<EmbeddedStack> {
  return startEmbeddedStack({
    env: { SIMULATE_SCHEDULE: 'off', ...env },
    stackYaml: readFileSync('stack.yml', 'utf8'),
    stores: {
      redisPrefix,
      dataDir: mkdtempSync(join(tmpdir(), dataDirPrefix)),
      secretsDir: '/nonexistent',
    },
    adminPassword: new Secret('fuzz-pw'),
    gatewayPort: 0,
    dashboardPort: 0,
    dashboardDir: 'dist/dashboard',
    host: '127.0.0.1',
    logger: process.env.FUZZ_DEBUG ? createLogger() : silentLogger,
  });
}

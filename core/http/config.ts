// Server-adapter settings from env, with the OpenFaaS watchdog's variable names where they exist.
import type { EnvReader } from '../env.js';

export interface HttpConfig {
  port: number;
  maxBodyBytes: number;
  maxInflight: number;
  timeoutMs: number;
  drainMs: number;
}

export function readHttpConfig(r: EnvReader, defaults: Partial<HttpConfig> = {}): HttpConfig {
  return {
    port: r.int('PORT', defaults.port ?? 8080, 0, 65535),
    // 16 MiB: a few hundred thousand typical log lines per request; larger uploads are split by the CLI.
    maxBodyBytes: r.int('MAX_BODY_BYTES', defaults.maxBodyBytes ?? 16 * 1024 * 1024, 1),
    // 64 concurrent batches per replica; beyond that 429 tells the connector to back off.
    // The OpenFaaS watchdog's names (max_inflight, exec_timeout) work too, so stack.yml reads as usual.
    maxInflight: r.int('MAX_INFLIGHT', r.int('max_inflight', defaults.maxInflight ?? 64, 1), 1),
    timeoutMs: r.duration('EXEC_TIMEOUT', r.duration('exec_timeout', defaults.timeoutMs ?? 30_000)),
    drainMs: r.duration('DRAIN_TIMEOUT', defaults.drainMs ?? 10_000),
  };
}

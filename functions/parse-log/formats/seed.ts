// The seed producers' format: `2026-02-07 06:34:01 - GET /api/users - 200 - 45ms`.
import { statusLevel } from '../level.js';
import type { ParsedLine } from './types.js';

const SEED =
  /^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?Z?) - ([A-Z]{3,7}) (\S+) - (\d{3}) - (\d+(?:\.\d+)?)ms\s*$/;

export function parseSeed(line: string): ParsedLine | undefined {
  const m = SEED.exec(line);
  if (!m) return undefined;
  const status = Number(m[4]);
  return {
    format: 'seed',
    tsText: m[1],
    message: line.slice(m[1].length + 3),
    level: statusLevel(status),
    http: { method: m[2], path: m[3], status, latency_ms: Number(m[5]) },
  };
}

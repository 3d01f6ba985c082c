// Application logger layouts: Python logging (`LEVEL:name:msg`, the basicConfig default, and
// `asctime - name - LEVEL - msg`) and Java/log4j/logback (`2026-02-07 06:34:01,123 ERROR [thread] a.b.C - msg`).
import { normalizeLevel } from '../level.js';
import type { ParsedLine } from './types.js';

const LEVEL = '(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|FATAL|CRITICAL)';
const TS = '(\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}:\\d{2}(?:[,.]\\d{1,6})?(?:Z|[+-]\\d{2}:?\\d{2})?)';
const PY_DEFAULT = new RegExp(`^${LEVEL}:([^:\\s]*):(.*)$`);
const PY_ASCTIME = new RegExp(`^${TS} - (\\S+) - ${LEVEL} - (.*)$`);
const JAVA = new RegExp(`^${TS}\\s+${LEVEL}\\s+(?:\\[([^\\]]*)\\]\\s+)?([\\w.$/-]+)(?:\\s+-|:)\\s(.*)$`);

export function parseAppLog(line: string): ParsedLine | undefined {
  let m = PY_DEFAULT.exec(line);
  if (m) return { format: 'python', level: normalizeLevel(m[1]), message: m[3], fields: { logger: m[2] } };
  if ((m = PY_ASCTIME.exec(line))) {
    return {
      format: 'python',
      tsText: m[1],
      level: normalizeLevel(m[3]),
      message: m[4],
      fields: { logger: m[2] },
    };
  }
  if ((m = JAVA.exec(line))) {
    const fields: ParsedLine['fields'] = { logger: m[4] };
    if (m[3] !== undefined) fields.thread = m[3];
    return { format: 'log4j', tsText: m[1], level: normalizeLevel(m[2]), message: m[5], fields };
  }
  return undefined;
}

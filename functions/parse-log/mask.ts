// Tokenises a message and masks obvious variables inside each token, so template mining compares
// shapes, not values. The "a token segment containing a digit is a variable" rule is the strongest
// generic heuristic in the log-parsing literature (Brain, Yu et al. 2023; Drain's own `hasNumbers`).

export const WILDCARD = '<*>';

/** Splits on runs of whitespace; never returns empty tokens (an empty message gives []). */
export function tokenize(message: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    const ws = c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
    if (ws) {
      if (start >= 0) {
        out.push(message.slice(start, i));
        start = -1;
      }
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(message.slice(start));
  return out;
}

// Character classes for the masking scan (ASCII only; everything else is a word character).
const DIGIT = 1;
const DELIM = 2;
const DOT = 4;
const COLON = 8;
const CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT;
// Characters that separate the parts of one token: `uid=0`, `host:port`, `a,b`, `(x)`, `[ip]`.
for (const ch of '=:,;()[]{}<>"\'|#') CLASS[ch.charCodeAt(0)] = DELIM;
CLASS[58] = DELIM | COLON;
CLASS[46] = DOT;
const QUERY = 16;
CLASS[63] = QUERY;
const EQ = 32;
CLASS[61] = DELIM | EQ;
const QUOTE = 64;
CLASS[34] = DELIM | QUOTE;
CLASS[39] = DELIM | QUOTE;
CLASS[96] = QUOTE;

const classOf = (c: number) => (c < 128 ? CLASS[c] : 0);

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Where masked text goes: an array, or anything that collects with `push` (pipeline.ts reuses one). */
export interface ParamSink {
  push(text: string): unknown;
}

/**
 * Masks one token: a segment (between delimiters) that holds a digit becomes `<*>`; URLs and file
 * paths become `<*>` whole. Masked text is pushed to `params` when given.
 */
export function maskToken(tok: string, params?: ParamSink): string {
  let flags = 0;
  let dots = 0;
  for (let i = 0; i < tok.length; i++) {
    const k = classOf(tok.charCodeAt(i));
    flags |= k;
    if (k === DOT) dots++;
  }
  return maskClassified(tok, flags, dots, params);
}

/** `maskToken` once the token's character classes (OR-ed) and dot count are known. */
function maskClassified(tok: string, flags: number, dots: number, params?: ParamSink): string {
  const digits = (flags & DIGIT) !== 0;
  if (((flags & COLON) !== 0 && tok.includes('://')) || (!digits && tok.length > 1 && isFilePath(tok))) {
    params?.push(tok);
    return WILDCARD;
  }
  if ((flags & QUERY) !== 0) {
    // A URL's query string (`/servers/detail?all_tenants=True&changes-since=...`) is one value: its
    // keys and their order vary by caller, the route before it is the event.
    const q = tok.indexOf('?');
    if (q > 0 && tok.indexOf('=', q) > q) {
      const route = maskToken(tok.slice(0, q), params);
      params?.push(tok.slice(q + 1));
      return `${route}?${WILDCARD}`;
    }
  }
  if ((flags & QUOTE) !== 0) {
    const quoted = maskQuoted(tok, params);
    if (quoted !== undefined) return quoted;
  }
  if (!digits && dots < 2 && (flags & EQ) === 0) return tok;
  if ((flags & (DELIM | DOT)) === 0 && tok.charCodeAt(0) === 47) {
    const route = maskRouteIds(tok, params);
    if (route !== undefined) return route;
  }
  if ((flags & COLON) !== 0 && dots > 0 && HOST_PORT.test(tok)) {
    params?.push(tok);
    return WILDCARD;
  }
  if ((flags & DELIM) === 0) {
    // One segment, the common case (`67108864`, `blk_-42`, `10.0.0.1`): no string building.
    if ((digits && !isVersionedWord(tok, 0, tok.length)) || (dots >= 2 && isHostName(tok, 0, tok.length))) {
      params?.push(tok);
      return WILDCARD;
    }
    return tok;
  }
  let out = '';
  let segStart = 0;
  let segDigit = false;
  let segDots = 0;
  for (let i = 0; i <= tok.length; i++) {
    const k = i < tok.length ? classOf(tok.charCodeAt(i)) : DELIM;
    if ((k & DELIM) !== 0) {
      if (i > segStart) {
        // Digits make a value; so do dotted names of three or more parts (hosts, FQDNs), which
        // LogPAI's benchmark regexes mask as `([\w-]+\.){2,}[\w-]+`, and what follows `key=`.
        if (
          (segDigit && !isVersionedWord(tok, segStart, i)) ||
          (segDots >= 2 && isHostName(tok, segStart, i)) ||
          (segStart > 1 && tok.charCodeAt(segStart - 1) === 61 && isKey(tok, segStart - 1)) ||
          (segStart > 2 &&
            (tok.charCodeAt(segStart - 1) === 34 || tok.charCodeAt(segStart - 1) === 39) &&
            tok.charCodeAt(segStart - 2) === 61 &&
            isKey(tok, segStart - 2))
        ) {
          out += WILDCARD;
          params?.push(tok.slice(segStart, i));
        } else out += tok.slice(segStart, i);
      }
      if (i < tok.length) out += tok[i];
      segStart = i + 1;
      segDigit = false;
      segDots = 0;
    } else if (k === DIGIT) segDigit = true;
    else if (k === DOT) segDots++;
  }
  return out;
}

/** FNV-1a of one token; `shapeHash` folds these, so a caller that scanned the text already can pass it. */
export function tokenHash(t: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
  return h;
}

/** A masked line's hash for the shape cache (collisions are checked token by token there). */
export function shapeHash(tokens: readonly string[], n = tokens.length): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ tokenHash(tokens[i]), 0x01000193);
  return h >>> 0;
}

const WILDCARD_HASH = tokenHash(WILDCARD);

/**
 * One line's tokens, in arrays reused from line to line: only the first `n` entries are this line's.
 * A fresh pair of arrays per line (grown push by push) was ~300 bytes of garbage per line (V8's
 * sampling heap profiler), and in the pipeline's 2,000-line batches allocation is GC time: with its
 * 4 MB semi-space, GC was ~40% of parse CPU in-process.
 */
export interface LineTokens {
  raw: string[];
  masked: string[];
  n: number;
}

export function lineTokens(): LineTokens {
  return { raw: [], masked: [], n: 0 };
}

/**
 * `tokenize` and `maskToken` over each token, plus `shapeHash` of the masked tokens, in one scan of
 * the message: a token without digits, colons, two dots or a leading `/`/`~` masks to itself, so it
 * is never scanned again (profiling put the three separate scans at ~20% of parse time). Fills `out`
 * (its first `out.n` entries) and returns the shape hash.
 */
export function tokenizeAndMask(message: string, out: LineTokens): number {
  const raw = out.raw;
  const masked = out.masked;
  let count = 0;
  let shape = 0x811c9dc5;
  const n = message.length;
  let i = 0;
  while (i < n) {
    // Whitespace between tokens (space, \t \n \v \f \r).
    let c = message.charCodeAt(i);
    if (c <= 32 && (c === 32 || (c >= 9 && c <= 13))) {
      i++;
      continue;
    }
    // One token: its FNV hash, OR-ed character classes and dot count, in the same pass.
    const start = i;
    let h = 0x811c9dc5;
    let flags = 0;
    let dots = 0;
    do {
      h = Math.imul(h ^ c, 0x01000193);
      if (c < 128) {
        const k = CLASS[c];
        flags |= k;
        if (k === DOT) dots++;
      }
      if (++i === n) break;
      c = message.charCodeAt(i);
    } while (c > 32 || (c !== 32 && (c < 9 || c > 13)));
    const tok = message.slice(start, i);
    let m = tok;
    if ((flags & (DIGIT | COLON | QUERY | EQ | QUOTE)) !== 0 || dots >= 2)
      m = maskClassified(tok, flags, dots);
    else if (i - start > 1) {
      const f = message.charCodeAt(start);
      if (f === 47 || f === 126) m = maskClassified(tok, flags, dots);
    }
    if (m !== tok) h = m === WILDCARD ? WILDCARD_HASH : tokenHash(m);
    raw[count] = tok;
    masked[count] = m;
    count++;
    shape = Math.imul(shape ^ h, 0x01000193);
  }
  out.n = count;
  return shape >>> 0;
}

// A URL path's id segments: numbers, UUIDs, hex ids (the same ids core/stats/labels.ts masks in endpoints).
const ROUTE_ID =
  /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=[a-f]*\d)[0-9a-f]{8,})$/i;
// A word with a short number in it names a route (`/err500`, `/v2`, `/page2`), as a word would.
const ROUTE_WORD = /^[A-Za-z]+\d{1,4}[A-Za-z]*$/;

/**
 * A path such as `/users/123` or `/err500`, with only its id segments masked (`/users/<*>`, `/err500`):
 * the route is the event and its ids are the values. Undefined when a segment with digits is neither an
 * id nor such a word (`/_task_2008_0001_m_0/part-00590`): the caller masks the token whole, as before.
 */
function maskRouteIds(tok: string, params?: ParamSink): string | undefined {
  const segs = tok.split('/');
  let out = '';
  let ids: string[] | undefined;
  for (let i = 1; i < segs.length; i++) {
    const seg = segs[i];
    if (/\d/.test(seg) && ROUTE_ID.test(seg)) {
      (ids ??= []).push(seg);
      out += `/${WILDCARD}`;
    } else if (!/\d/.test(seg) || ROUTE_WORD.test(seg)) out += `/${seg}`;
    else return undefined;
  }
  if (!ids) return tok;
  for (const id of ids) params?.push(id);
  return out;
}

// `github.com:443`, `10.0.0.1:80`: host and port, the endpoint of a connection.
const HOST_PORT = /^(?:[\w-]+\.)+[\w-]+:\d+$/;

const PROTOCOL = /^[A-Z]{2,6}\/\d(?:\.\d)?$/;
// `ssh2`, `SOCKS5`, `IPv4`, `md5`: a word with one trailing digit names a protocol or algorithm.
function isVersionedWord(tok: string, from: number, to: number): boolean {
  if (to - from < 3 || !isDigit(tok.charCodeAt(to - 1))) return false;
  // `HTTP/1.1`, `SPDY/3`: a protocol and its version name the protocol.
  if (to - from <= 10 && PROTOCOL.test(tok.slice(from, to))) return true;
  for (let i = from; i < to - 1; i++) {
    const c = tok.charCodeAt(i) | 32;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

// `proxy.cse.cuhk.edu.hk`: lower-case dotted names of three or more parts. Java packages
// (`com.huawei.health`, `org.apache.x.Y`) are code, not values, and stay constant.
const PACKAGE_ROOT = /^(?:com|org|net|java|javax|android|io|sun|jdk|kotlin|scala)\./;
// Regexes as module constants: a literal in a function body is a new RegExp object per call.
const HOST_NAME = /^[a-z0-9-]+(?:\.[a-z0-9-]+){2,}$/;
function isHostName(tok: string, from: number, to: number): boolean {
  const seg = tok.slice(from, to);
  return HOST_NAME.test(seg) && !PACKAGE_ROOT.test(seg);
}

// `/var/log/x.log`, `/a/b/c`: a path with a file extension or three or more parts. Short routes such
// as `/api/users` stay constant, since for HTTP logs the route is the template.
const FILE_EXTENSION = /\.[A-Za-z]\w*$/;
function isFilePath(tok: string): boolean {
  const c = tok.charCodeAt(0);
  if (c !== 47 /* / */ && c !== 126 /* ~ */) return false;
  let slashes = 0;
  for (let i = 0; i < tok.length; i++) if (tok.charCodeAt(i) === 47) slashes++;
  if (slashes >= 3) return true;
  return slashes >= 2 && FILE_EXTENSION.test(tok);
}

export function hasWildcard(tok: string): boolean {
  return tok.includes(WILDCARD);
}

// `user=root`, `flags=N`: the value after a key is a variable even when it has no digit, as LogPAI's
// labels (`user=<*>`) and a person reading the line have it; a quoted word (`"admin"`, `` `nats' ``) too.

/** Whether the `=` at `eq` follows a key: a run of word characters starting the token or after a delimiter. */
export function isKey(tok: string, eq: number): boolean {
  let i = eq - 1;
  while (i >= 0) {
    const c = tok.charCodeAt(i);
    const word =
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      (c >= 48 && c <= 57) ||
      c === 95 ||
      c === 45 ||
      c === 46;
    if (!word) break;
    i--;
  }
  return (
    i < eq - 1 &&
    (i < 0 || (classOf(tok.charCodeAt(i)) & DELIM) !== 0) &&
    HAS_LETTER_RE.test(tok.slice(i + 1, eq))
  );
}
const HAS_LETTER_RE = /[A-Za-z]/;

/** Whether a token has an ASCII letter: a word (or part of one), as opposed to a number or punctuation. */
export function hasLetter(tok: string): boolean {
  return HAS_LETTER_RE.test(tok);
}

const CLOSE_QUOTE: Record<string, string> = { '"': '"', "'": "'", '`': "'`" };

/** `"admin"`, `'x',` `` `nats' ``: a quoted word with no space or quote inside, masked inside its quotes. */
function maskQuoted(tok: string, params?: ParamSink): string | undefined {
  const open = tok[0];
  const closers = CLOSE_QUOTE[open];
  if (!closers) return undefined;
  let end = tok.length;
  while (end > 2 && ',.;:)'.includes(tok[end - 1])) end--;
  if (end < 3 || !closers.includes(tok[end - 1])) return undefined;
  for (let i = 1; i < end - 1; i++) if (CLOSE_QUOTE[tok[i]] !== undefined || tok[i] === "'") return undefined;
  params?.push(tok.slice(1, end - 1));
  return `${open}${WILDCARD}${tok.slice(end - 1)}`;
}

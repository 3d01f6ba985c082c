// Many lines to and from UTF-8 bytes without ever making one string of them all: V8 keeps a string past
// 128 KB in a space of its own whose every page is fresh memory, mapped and zeroed by the kernel each
// time, which cost more than the encoding itself (docs/capacity.md). Pure.

const UTF8 = new TextEncoder();
const NEWLINE = 0x0a;

/** The UTF-8 bytes of `parts.join('\n')`, joined and encoded `group` parts at a time. */
export function utf8Join(parts: readonly string[], group = 1): Uint8Array {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < parts.length; i += group)
    pieces.push(UTF8.encode(group === 1 ? parts[i] : parts.slice(i, i + group).join('\n')));
  let size = Math.max(0, pieces.length - 1);
  for (const p of pieces) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i < pieces.length; i++) {
    if (i > 0) out[at++] = NEWLINE;
    out.set(pieces[i], at);
    at += pieces[i].length;
  }
  return out;
}

/** Bytes decoded into one string at most (whole lines; a longer line is one piece of its own). */
const PIECE_BYTES = 64 * 1024;
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * `decode(bytes).split('\n')`, decoded 64 KB of whole lines at a time (a newline byte never falls inside
 * a character), with a leading BOM dropped as TextDecoder drops it. `fatal`: invalid UTF-8 throws a
 * TypeError, as a fatal TextDecoder does; otherwise it becomes U+FFFD.
 */
export function* utf8Lines(bytes: Uint8Array, o: { fatal?: boolean } = {}): Generator<string> {
  const decoder = o.fatal ? strict : lenient;
  let at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (;;) {
    let end = bytes.length;
    if (end - at > PIECE_BYTES) {
      const nl = bytes.lastIndexOf(NEWLINE, at + PIECE_BYTES);
      end = nl >= at ? nl + 1 : bytes.indexOf(NEWLINE, at + PIECE_BYTES) + 1 || bytes.length;
    }
    const lines = decoder.decode(bytes.subarray(at, end)).split('\n');
    // A piece before the last ends with its newline, which ends its last line rather than starting one.
    const last = end === bytes.length;
    for (let i = 0, n = last ? lines.length : lines.length - 1; i < n; i++) yield lines[i];
    if (last) return;
    at = end;
  }
}

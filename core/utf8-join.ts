// Many strings joined by newlines, as UTF-8 bytes, without ever making the joined string: V8 keeps a
// string past 128 KB in a space of its own whose every page is fresh memory, mapped and zeroed by the
// kernel each time, which cost more than the encoding itself (docs/capacity.md). Pure.

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

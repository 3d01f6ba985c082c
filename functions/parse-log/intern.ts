// A direct-mapped table of recently seen short strings, so that a line reuses the string an earlier
// line made for the same text (logfmt keys: `level`, `status`) instead of copying it again. A key used
// as a property name is then looked up as the same string each time, not as a new one.

/** FNV-1a, as the scanners compute it while they walk the text: `h = Math.imul(h ^ c, FNV_PRIME)`. */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

// 4,096 slots of at most 48 characters: under 400 KB, however varied the input.
const SLOTS = 4096;
const MAX_LENGTH = 48;
/** From this length on V8's slice shares the parent's characters (and so keeps the parent alive). */
const MIN_SLICED = 13;
const table: string[] = new Array<string>(SLOTS).fill('');

/** `s.slice(start, end)`, or an equal string from the table; `h` is the FNV-1a of that text. */
export function internSlice(s: string, start: number, end: number, h: number): string {
  const len = end - start;
  if (len > MAX_LENGTH) return s.slice(start, end);
  const k = (h ^ (h >>> 13)) & (SLOTS - 1);
  const known = table[k];
  if (known.length === len && sameText(known, s, start)) return known;
  const text = s.slice(start, end);
  // The table keeps a string of its own: a slice of a line would keep the whole request body alive.
  table[k] = len < MIN_SLICED ? text : ` ${text}`.slice(1);
  return text;
}

/** `s.startsWith(known, at)` as an inlined loop: the builtin call costs more than these short compares. */
function sameText(known: string, s: string, at: number): boolean {
  for (let i = 0; i < known.length; i++) if (known.charCodeAt(i) !== s.charCodeAt(at + i)) return false;
  return true;
}

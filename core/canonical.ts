// One string object per text for the few texts a stream repeats (sources, levels, template ids, hosts):
// a Map or object keyed by strings finds a key by identity when it is the same object, and otherwise
// compares characters, which for pieces sliced out of a decoded batch cost ~6x as much (docs/capacity.md).
// Bounded: past CANONICAL_MAX texts the table starts again. Pure apart from that table.

/** Texts kept at most (~3 MB at the longest): a stream's sources, levels and templates are far fewer. */
export const CANONICAL_MAX = 10_000;
/** Longer texts are left as they are: rarely repeated, and not worth keeping. */
const MAX_LENGTH = 256;
const known = new Map<string, string>();

/** The string kept for `s`'s text, `s` itself (as a flat copy of its own) the first time. */
export function canonical(s: string): string {
  if (s.length > MAX_LENGTH) return s;
  const k = known.get(s);
  if (k !== undefined) return k;
  if (known.size >= CANONICAL_MAX) known.clear();
  // A flat copy: `s` may be a slice of a whole decoded run, which it would keep alive.
  const own = s.length < 13 ? s : ` ${s}`.slice(1);
  known.set(own, own);
  return own;
}

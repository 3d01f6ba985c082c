// A per-call cache of a pure string function: the map lives as long as the caller keeps the function
// (one batch, one eval run), so it needs no bound.
export function memo(f: (s: string) => string): (s: string) => string {
  const m = new Map<string, string>();
  return (s) => {
    let v = m.get(s);
    if (v === undefined) m.set(s, (v = f(s)));
    return v;
  };
}

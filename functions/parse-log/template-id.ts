// Content-addressed template ids: every replica that creates a cluster from the same first line of a
// source computes the same id, so ids agree without coordination (the KV's hsetnx settles the rest).

/** 64-bit FNV-1a over UTF-16 units, as two 32-bit halves; 16 hex digits. Pure and fast. */
export function hash64(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x0100019d) ^ (h1 >>> 15);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

export function templateIdFor(source: string, tokens: readonly string[]): string {
  return `t${hash64(`${source}\u0000${tokens.join(' ')}`)}`;
}

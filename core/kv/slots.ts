// Redis Cluster hash slots, computed in the client: which keys a cluster-safe batch may put in one script
// call (all of a call's keys must share a slot) and a name for an idempotency key in a given slot.
// Pure: no I/O.

export const SLOTS = 16384;

/**
 * `{s}`: the hash tag of a group of keys that one atomic write may touch together (a source's keys, an
 * hour's stats buckets). Keys holding the same tag share a Redis Cluster slot; on one Redis it is only a name.
 */
export const slotTag = (s: string): string => `{${s}}`;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** CRC16-XMODEM over the UTF-8 bytes, as Redis Cluster hashes keys. */
function crc16(s: string): number {
  let crc = 0;
  for (const b of Buffer.from(s, 'utf8')) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ b) & 0xff];
  return crc;
}

/**
 * The part of a key Redis hashes: the text between the first `{` and the next `}` when that is not empty
 * (a hash tag), else the whole key.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

export const slotOf = (key: string): number => crc16(hashTagOf(key)) % SLOTS;

const tags = new Map<number, string>();

/** A short hash tag whose slot is `slot` (`s` and a number, found by counting up; cached). */
export function tagForSlot(slot: number): string {
  let t = tags.get(slot);
  if (t === undefined) {
    for (let n = 0; ; n++) {
      const cand = `s${n}`;
      const s = crc16(cand) % SLOTS;
      if (!tags.has(s)) tags.set(s, cand);
      if (s === slot) break;
    }
    t = tags.get(slot)!;
  }
  return t;
}

/** Indexes of `keys` grouped by slot, in the order each slot first appears (input order inside a group). */
export function groupBySlot(keys: readonly string[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const s = slotOf(keys[i]);
    const g = groups.get(s);
    if (g) g.push(i);
    else groups.set(s, [i]);
  }
  return groups;
}

/**
 * Whether every key under `prefix` hashes as its own name would without it: the prefix holds no brace,
 * or one complete hash tag (then every key of the namespace shares one slot). A lone brace in the prefix
 * would pair with a brace of the key and hash an arbitrary piece of it.
 */
export function prefixSlotsSafely(prefix: string): boolean {
  if (!/[{}]/.test(prefix)) return true;
  const open = prefix.indexOf('{');
  const close = prefix.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 && prefix.indexOf('}') > open;
}

// Deletes every key a KV store holds under its prefix: how tests, the bench and dropNamespace leave a
// shared Redis as they found it. Batches of 1,000 keys per apply keep each script call short.
import type { KV } from './types.js';

const PER_APPLY = 1000;

/** Deletes every key of `kv` (its namespace only); returns how many there were. */
export async function clearKv(kv: KV): Promise<number> {
  const keys = await kv.keys('');
  for (let i = 0; i < keys.length; i += PER_APPLY)
    await kv.apply(keys.slice(i, i + PER_APPLY).map((key) => ({ op: 'del' as const, key })));
  return keys.length;
}

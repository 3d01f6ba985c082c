// Compact binary form of a Forest, with a magic, a format version and a CRC-32, so a corrupt or
// foreign blob in the store is detected instead of scoring garbage. 7 bytes per node (15 with the range
// check): 100 trees of psi = 256 are at most 51,100 nodes = 767 KB; typical logs give ~100-250 KB.
import type { Forest } from './forest.js';
import { withLayout } from './forest-layout.js';

const MAGIC = 0x4c464946; // "LFIF": logfaas isolation forest
export const FOREST_FORMAT_VERSION = 2;
/** magic u32, version u16, dims u16, trees u16, psi u16, nodes u32, flags u32 (bit 0: range check). */
const HEADER = 20;
const FLAG_RANGE = 1;

export class ModelDecodeError extends Error {
  override name = 'ModelDecodeError';
}

function sizeOf(t: number, n: number, ranged: boolean): number {
  return align4(HEADER + 4 * t + 4 * n + 2 * n + n + (ranged ? 8 * n : 0)) + 4;
}

/** Layout: header | roots u32[T] | value f32[N] | left-offset u16[N] | feat i8[N] | [lo f32[N] hi f32[N]] | pad | crc32. */
export function encodeForest(f: Forest): Uint8Array {
  // The arrays in locals: this runs once per trained model, mostly unoptimised, where each `f.value[i]`
  // is a property load (see withLayout in forest-layout.ts).
  const { roots, value, left, feat, lo, hi } = f;
  const t = roots.length;
  const n = feat.length;
  const ranged = lo !== undefined && hi !== undefined;
  const size = sizeOf(t, n, ranged);
  const buf = new ArrayBuffer(size);
  const dv = new DataView(buf);
  dv.setUint32(0, MAGIC);
  dv.setUint16(4, FOREST_FORMAT_VERSION);
  dv.setUint16(6, f.dims);
  dv.setUint16(8, t);
  dv.setUint16(10, f.sampleSize);
  dv.setUint32(12, n);
  dv.setUint32(16, ranged ? FLAG_RANGE : 0);
  let o = HEADER;
  for (let i = 0; i < t; i++, o += 4) dv.setUint32(o, roots[i], true);
  for (let i = 0; i < n; i++, o += 4) dv.setFloat32(o, value[i], true);
  // Children are stored relative to their tree's root so they fit in 16 bits (a tree has < 2 psi nodes).
  let tree = 0;
  for (let i = 0; i < n; i++, o += 2) {
    while (tree + 1 < t && i >= roots[tree + 1]) tree++;
    dv.setUint16(o, feat[i] >= 0 ? left[i] - roots[tree] : 0, true);
  }
  for (let i = 0; i < n; i++, o++) dv.setInt8(o, feat[i]);
  if (lo && hi) {
    for (let i = 0; i < n; i++, o += 4) dv.setFloat32(o, lo[i], true);
    for (let i = 0; i < n; i++, o += 4) dv.setFloat32(o, hi[i], true);
  }
  dv.setUint32(size - 4, crc32(new Uint8Array(buf, 0, size - 4)));
  return new Uint8Array(buf);
}

export function decodeForest(bytes: Uint8Array): Forest {
  if (bytes.length < HEADER + 4) throw new ModelDecodeError('model blob too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0) !== MAGIC) throw new ModelDecodeError('not a logfaas isolation forest (bad magic)');
  const version = dv.getUint16(4);
  if (version !== FOREST_FORMAT_VERSION)
    throw new ModelDecodeError(`unsupported model format version ${version}`);
  const dims = dv.getUint16(6);
  const t = dv.getUint16(8);
  const sampleSize = dv.getUint16(10);
  const n = dv.getUint32(12);
  const ranged = (dv.getUint32(16) & FLAG_RANGE) !== 0;
  const size = sizeOf(t, n, ranged);
  if (bytes.length !== size)
    throw new ModelDecodeError(`model blob is ${bytes.length} bytes, header says ${size}`);
  if (dv.getUint32(size - 4) !== crc32(bytes.subarray(0, size - 4)))
    throw new ModelDecodeError('model checksum mismatch');
  const roots = new Uint32Array(t);
  const value = new Float64Array(n);
  const left = new Uint32Array(n);
  const feat = new Int8Array(n);
  let o = HEADER;
  for (let i = 0; i < t; i++, o += 4) roots[i] = dv.getUint32(o, true);
  for (let i = 0; i < n; i++, o += 4) value[i] = dv.getFloat32(o, true);
  const rel = o;
  o += 2 * n;
  for (let i = 0; i < n; i++, o++) feat[i] = dv.getInt8(o);
  const lo = ranged ? new Float64Array(n) : undefined;
  const hi = ranged ? new Float64Array(n) : undefined;
  if (lo && hi) {
    for (let i = 0; i < n; i++, o += 4) lo[i] = dv.getFloat32(o, true);
    for (let i = 0; i < n; i++, o += 4) hi[i] = dv.getFloat32(o, true);
  }
  let tree = 0;
  for (let i = 0; i < n; i++) {
    while (tree + 1 < t && i >= roots[tree + 1]) tree++;
    if (feat[i] >= dims) throw new ModelDecodeError('model references a feature out of range');
    if (feat[i] >= 0) {
      left[i] = roots[tree] + dv.getUint16(rel + 2 * i, true);
      if (left[i] + 1 >= n || left[i] <= i) throw new ModelDecodeError('model node links out of range');
    }
  }
  return withLayout({ dims, sampleSize, roots, feat, value, left, ...(lo && hi ? { lo, hi } : {}) });
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

let table: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, the zlib/PNG polynomial). */
export function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[i] = c >>> 0;
    }
  }
  const tab = table;
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = tab[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function fromBase64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}

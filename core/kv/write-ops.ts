// Shared rules for WriteOp batches, so the embedded store and Redis reject the same inputs the same way.
import type { ApplyOptions, WriteOp } from './types.js';

/** Default lifetime of an idempotency key: 24 h, longer than any broker redelivery window we run with. */
export const DEFAULT_ONCE_TTL_MS = 24 * 60 * 60 * 1000;

/** Idempotency keys live in their own sub-namespace so they never collide with data keys. */
export const onceKeyName = (onceKey: string): string => `_once:${onceKey}`;

/** Throws on a malformed op (programmer error): both stores must refuse it before writing anything. */
export function validateOps(ops: readonly WriteOp[], opts: ApplyOptions = {}): void {
  for (const op of ops) {
    if (typeof op.key !== 'string' || op.key === '') throw new TypeError(`kv.apply: ${op.op} needs a key`);
    switch (op.op) {
      case 'hincrby':
        if (!Number.isSafeInteger(op.by))
          throw new TypeError(`kv.apply: hincrby by must be an integer (${op.by})`);
        break;
      case 'hincrbyfloat':
        if (!Number.isFinite(op.by))
          throw new TypeError(`kv.apply: hincrbyfloat by must be finite (${op.by})`);
        break;
      case 'lpush':
        if (!Number.isSafeInteger(op.cap) || op.cap < 1)
          throw new TypeError(`kv.apply: lpush cap must be >= 1`);
        break;
      case 'set':
        if (op.ttlMs !== undefined) positiveMs(op.ttlMs, 'set ttlMs');
        break;
      case 'expire':
        positiveMs(op.ttlMs, 'expire ttlMs');
        break;
      case 'hincrbyCapped':
        if (op.float ? !Number.isFinite(op.by) : !Number.isSafeInteger(op.by))
          throw new TypeError(
            `kv.apply: hincrbyCapped by must be ${op.float ? 'finite' : 'an integer'} (${op.by})`,
          );
        capped(op);
        break;
      case 'hsetCapped':
        capped(op);
        break;
      case 'ringPush':
        positiveMs(op.ttlMs, 'ringPush ttlMs');
        if (
          !Number.isSafeInteger(op.maxBytes) ||
          op.maxBytes < 1 ||
          !Number.isSafeInteger(op.maxItems) ||
          op.maxItems < 1
        )
          throw new TypeError('kv.apply: ringPush maxBytes and maxItems must be positive integers');
        if (typeof op.id !== 'string' || !/^[\w.-]+$/.test(op.id))
          throw new TypeError(`kv.apply: ringPush id must be word characters, '.' or '-' (${op.id})`);
        if (!(typeof op.blob === 'string' || op.blob instanceof Uint8Array) || typeof op.meta !== 'string')
          throw new TypeError('kv.apply: ringPush blob must be a string or bytes and meta a string');
        break;
      case 'hset':
      case 'hsetnx':
      case 'del':
        break;
      default:
        throw new TypeError(`kv.apply: unknown op ${(op as { op: string }).op}`);
    }
  }
  if (opts.onceKey !== undefined && opts.onceKey === '') throw new TypeError('kv.apply: onceKey is empty');
  if (opts.onceTtlMs !== undefined) positiveMs(opts.onceTtlMs, 'onceTtlMs');
}

function capped(op: { maxFields: number; otherField: string; field: string }): void {
  if (!Number.isSafeInteger(op.maxFields) || op.maxFields < 1)
    throw new TypeError(`kv.apply: ${op.field} maxFields must be a positive integer (${op.maxFields})`);
  if (typeof op.otherField !== 'string' || op.otherField === '')
    throw new TypeError(`kv.apply: ${op.field} needs an otherField`);
}

function positiveMs(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 1)
    throw new TypeError(`kv.apply: ${what} must be a positive integer (${v})`);
}

/** Keys a ring (ringPush) keeps beside its list: each blob and the byte total. */
export const ringBlobKey = (ring: string, id: string): string => `${ring}:${id}`;
export const ringBytesKey = (ring: string): string => `${ring}:bytes`;

/** One ring entry as stored: its bytes (blob and meta, UTF-8), id and meta. */
export function ringEntry(op: { id: string; blob: string | Uint8Array; meta: string }): {
  bytes: number;
  text: string;
} {
  const blob = typeof op.blob === 'string' ? Buffer.byteLength(op.blob) : op.blob.byteLength;
  const bytes = blob + Buffer.byteLength(op.meta);
  return { bytes, text: `${bytes}\t${op.id}\t${op.meta}` };
}

/** An entry read back: bytes, id and meta; undefined when malformed. */
export function parseRingEntry(text: string): { bytes: number; id: string; meta: string } | undefined {
  const a = text.indexOf('\t');
  const b = a < 0 ? -1 : text.indexOf('\t', a + 1);
  if (b < 0) return undefined;
  return { bytes: Number(text.slice(0, a)), id: text.slice(a + 1, b), meta: text.slice(b + 1) };
}

/** Redis formats HINCRBYFLOAT results with long-double precision; 15 significant digits matches it closely. */
export function formatFloat(n: number): string {
  return String(Number(n.toPrecision(15)));
}

/** Redis accepts these strings as HINCRBY operands (optional minus, digits, no leading zeros or plus). */
export const isRedisInteger = (s: string): boolean =>
  /^-?(0|[1-9]\d*)$/.test(s) && Number.isSafeInteger(Number(s));

/** Redis accepts these as HINCRBYFLOAT operands (no hex, no inf/nan, no surrounding space). */
export const isRedisFloat = (s: string): boolean =>
  s.trim() === s && s !== '' && Number.isFinite(Number(s)) && !/^0x/i.test(s);

// JSON lines: one object per line; nested values are kept as their JSON text.
import { fromRecord } from './structured.js';
import type { FieldValue, ParsedLine } from './types.js';

export function parseJsonLine(line: string): ParsedLine | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  // A flat record (the common case) is used as it is; a copy only when a value must become JSON
  // text, or for a `__proto__` key, which the copy drops (assigning it to `{}` sets no field).
  let flat = true;
  for (const k in o) {
    const x = o[k];
    if ((x !== null && typeof x === 'object') || k === '__proto__') {
      flat = false;
      break;
    }
  }
  if (flat) return fromRecord('json', o as Record<string, FieldValue>, line);
  const rec: Record<string, FieldValue> = {};
  for (const [k, x] of Object.entries(o)) {
    rec[k] = x === null || typeof x !== 'object' ? (x as FieldValue) : JSON.stringify(x);
  }
  return fromRecord('json', rec, line);
}

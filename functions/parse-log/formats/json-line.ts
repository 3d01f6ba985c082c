// JSON lines: one object per line; nested values are kept as their JSON text.
import { fromRecord } from './structured.js';
import type { FieldValue, ParsedLine } from './types.js';

export function parseJsonLine(line: string): ParsedLine | undefined {
  // A line cut short (`{"msg":"cache warm`) cannot be an object; saying so here spares JSON.parse's
  // SyntaxError, which costs ~10 us (measured, Node 20), as much as parsing several good JSON lines.
  if (!endsAsObject(line)) return undefined;
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

/** Whether the last character other than JSON whitespace is `}`, as every JSON object text's is. */
function endsAsObject(line: string): boolean {
  let i = line.length - 1;
  for (let c = line.charCodeAt(i); c === 32 || c === 9 || c === 10 || c === 13; c = line.charCodeAt(--i));
  return line.charCodeAt(i) === 125;
}

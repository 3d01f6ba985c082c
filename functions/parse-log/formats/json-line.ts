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
  const rec: Record<string, FieldValue> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    rec[k] = x === null || typeof x !== 'object' ? (x as FieldValue) : JSON.stringify(x);
  }
  return fromRecord('json', rec, line);
}

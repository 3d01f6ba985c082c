// Character scans shared by the timestamped layouts (stamped.ts, program-layouts.ts): no regex, no
// allocation beyond the slices a caller keeps.
import type { Level } from '../../../core/event.js';
import { normalizeLevel } from '../level.js';

export const isDigit = (c: number) => c >= 48 && c <= 57;
export const isUpper = (c: number) => c >= 65 && c <= 90;

/**
 * A level name: in brackets any case (`[error]`, `[INFO ]`), bare only in capitals (`WARN`), so a
 * message that starts with `error connecting` keeps its word. Single letters are not levels here.
 */
export function levelWord(w: string, bare: boolean): Level | undefined {
  if (w.length < 3 || w.length > 9) return undefined;
  if (bare) for (let i = 0; i < w.length; i++) if (!isUpper(w.charCodeAt(i))) return undefined;
  return normalizeLevel(w);
}

/** `[...]` at `i` (brackets inside balanced), at most 100 characters: the index of its `]`, else -1. */
export function bracketEnd(line: string, i: number): number {
  if (line.charCodeAt(i) !== 91) return -1;
  const n = Math.min(line.length, i + 100);
  let depth = 0;
  for (let j = i + 1; j < n; j++) {
    const c = line.charCodeAt(j);
    if (c === 91) depth++;
    else if (c === 93 && depth-- === 0) return j;
  }
  return -1;
}

export function isAllDigits(s: string): boolean {
  if (s.length === 0 || s.length > 10) return false;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

export function skipSpaces(line: string, i: number): number {
  while (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9) i++;
  return i;
}

export function wordEnd(line: string, i: number): number {
  while (i < line.length && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) i++;
  return i;
}

export function digitsEnd(line: string, i: number): number {
  while (isDigit(line.charCodeAt(i))) i++;
  return i;
}

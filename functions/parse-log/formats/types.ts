// What a format parser extracts from one line, before timestamps are resolved and templates mined.
import type { HttpFields, Level } from '../../../core/event.js';

export type FieldValue = string | number | boolean | null;

export interface ParsedLine {
  format: string;
  message: string;
  /** Timestamp text as found in the line. */
  tsText?: string;
  /** Separate time fields, tried one by one when `tsText` (all of them joined) does not parse. */
  tsParts?: string[];
  /** Epoch ms when the format carries a numeric time (JSON epoch fields). */
  tsMs?: number;
  level?: Level;
  service?: string;
  host?: string;
  http?: HttpFields;
  fields?: Record<string, FieldValue>;
  problems?: string[];
}

export type LineFormat = (line: string) => ParsedLine | undefined;

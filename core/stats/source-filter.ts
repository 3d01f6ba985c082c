// Views of one source, of real logs only or of simulated ones: which sources a view takes, and the
// by-source hashes (keys.ts bySourceKey, fields `<source>|<field>`) folded back into plain aggregate
// fields for the sources it takes. Pure.
import { isSimulatedSource } from '../simulated.js';
import { OTHER_LABEL } from './keys.js';
import { cleanLabel } from './labels.js';

export type SourceFilter =
  | { kind: 'source'; source: string }
  | { kind: 'real' }
  | { kind: 'simulated' }
  /** Every source, `(other)` included: how the unfiltered view reads the aggregates (keys.ts isAggregateKey). */
  | { kind: 'whole' };

export const WHOLE: SourceFilter = { kind: 'whole' };

/** A stable name for the filter (cache identity), e.g. `source:nginx`, `real`. */
export function filterId(f: SourceFilter): string {
  return f.kind === 'source' ? `source:${f.source}` : f.kind;
}

/** Whether a view takes a source label. `(other)` (sources past a cap) is in no view but the whole. */
export function accepts(f: SourceFilter, source: string): boolean {
  if (f.kind === 'whole') return true;
  if (source === OTHER_LABEL) return false;
  if (f.kind === 'source') return source === f.source;
  return f.kind === 'real' ? !isSimulatedSource(source) : isSimulatedSource(source);
}

/** Whether a view takes an event's source as written (labels are cleaned the way statsWrites cleans them). */
export const acceptsEventSource = (f: SourceFilter, source: unknown): boolean =>
  accepts(f, cleanLabel(String(source)));

/**
 * The plain fields of a by-source hash for the sources `f` takes, summed over them; and every source's
 * event count (`<source>|n`) whatever the filter, so a filtered view can still list all sources (the
 * whole lists `(other)` too, as its `src|(other)` field did when aggregates were written whole).
 */
export function sourceShare(
  h: Record<string, string>,
  f: SourceFilter,
): { fields: Record<string, string>; events: Map<string, number> } {
  const sums = new Map<string, number>();
  const events = new Map<string, number>();
  const taken = new Map<string, boolean>();
  for (const field in h) {
    const cut = field.indexOf('|');
    if (cut < 0) continue;
    const source = field.slice(0, cut);
    const rest = field.slice(cut + 1);
    const n = Number(h[field]);
    if (!Number.isFinite(n)) continue;
    if (rest === 'n' && (source !== OTHER_LABEL || f.kind === 'whole'))
      events.set(source, (events.get(source) ?? 0) + n);
    let take = taken.get(source);
    if (take === undefined) taken.set(source, (take = accepts(f, source)));
    if (take) sums.set(rest, (sums.get(rest) ?? 0) + n);
  }
  const fields: Record<string, string> = {};
  for (const [k, n] of sums) fields[k] = String(n);
  return { fields, events };
}

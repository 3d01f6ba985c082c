// Top templates of a window: the template hour hashes (keys.ts) summed per id, then read against the
// template store (core/templates.ts) for what the dashboard must show: each template's CURRENT form, not
// the text of the first event stats happened to record (a template generalises as lines arrive), and a
// merged template's events counted under its canonical id. Falls back to the recorded text when the
// store does not hold an id or cannot be read.
import { type CurrentTemplate, currentTemplates, refKey, type TemplateRef } from '../templates.js';
import { rate } from './aggregate.js';
import type { TemplateStat } from './doc.js';
import { OTHER_LABEL } from './keys.js';

export interface TemplateAgg {
  count: number;
  template: string;
  source: string;
  first: number;
  last: number;
}

export const TOP_TEMPLATES = 10;
/**
 * Templates of a window looked up in the template store, busiest first: enough for the merged
 * templates of the top ones to be folded in (a split event's pieces are each small), bounded so that
 * a window of thousands of templates costs one bounded hmget per source, not a read of every one.
 */
export const TEMPLATES_RESOLVED = 1000;

/** Parses one template hour hash (`<id>|n`, `|f`, `|l`, `|i`, or `|t` and `|s` from older writers). */
export function parseTemplates(h: Record<string, string>): Map<string, TemplateAgg> {
  const all = new Map<string, TemplateAgg>();
  for (const f in h) {
    const v = h[f];
    const cut = f.lastIndexOf('|');
    const id = f.slice(0, cut);
    let t = all.get(id);
    if (!t) all.set(id, (t = { count: 0, template: '', source: '', first: Infinity, last: 0 }));
    switch (f.charCodeAt(cut + 1)) {
      case 110: // n
        t.count += int(v);
        break;
      case 102: // f
        t.first = Math.min(t.first, int(v));
        break;
      case 108: // l
        t.last = Math.max(t.last, int(v));
        break;
      case 105: {
        // i: `<source>|<text>`
        const bar = v.indexOf('|');
        if (bar >= 0) t.source ||= v.slice(0, bar);
        t.template ||= v.slice(bar + 1);
        break;
      }
      case 116: // t (older writers)
        t.template ||= v;
        break;
      case 115: // s (older writers)
        t.source ||= v;
        break;
    }
  }
  return all;
}

/** Sums the hours per template id (the hour maps may be cached: they are not modified). */
export function sumHours(hours: Map<string, TemplateAgg>[]): Map<string, TemplateAgg> {
  const all = new Map<string, TemplateAgg>();
  for (const hour of hours) {
    for (const [id, h] of hour) {
      const t = all.get(id);
      if (!t) {
        all.set(id, { ...h });
        continue;
      }
      fold(t, h);
    }
  }
  return all;
}

function fold(into: TemplateAgg, h: TemplateAgg): void {
  into.count += h.count;
  into.first = Math.min(into.first, h.first);
  into.last = Math.max(into.last, h.last);
  into.template ||= h.template;
  into.source ||= h.source;
}

/**
 * The busiest templates, with the store's view applied: `current` maps refKey({source, id}) to the
 * canonical id and its text (see currentTemplates). Pure.
 */
export function topTemplates(
  all: Map<string, TemplateAgg>,
  current: Map<string, CurrentTemplate> = new Map(),
): TemplateStat[] {
  const byCanonical = new Map<string, TemplateAgg>();
  let sum = 0;
  for (const [id, t] of all) {
    sum += t.count;
    const cur = current.get(refKey({ source: t.source, id }));
    const canonical = cur?.id ?? id;
    const agg = { ...t, template: cur?.text ?? t.template };
    const into = byCanonical.get(canonical);
    if (!into) byCanonical.set(canonical, agg);
    else if (canonical === id) {
      // The canonical template's own source and text win over those of its aliases.
      fold(agg, into);
      byCanonical.set(canonical, agg);
    } else fold(into, agg);
  }
  return [...byCanonical]
    .filter(([, t]) => t.count > 0)
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, TOP_TEMPLATES)
    .map(([id, t]) => ({
      id,
      template: t.template,
      source: t.source,
      count: t.count,
      share: rate(t.count, sum),
      first_seen: new Date(Number.isFinite(t.first) ? t.first : t.last).toISOString(),
      last_seen: new Date(t.last).toISOString(),
    }));
}

type HmgetKv = Parameters<typeof currentTemplates>[0];

/**
 * The store's view of the busiest templates of `all`; empty if the store cannot be read. With a cache,
 * ids it answered for recently are not read again.
 */
export async function readCurrentTemplates(
  kv: HmgetKv,
  all: Map<string, TemplateAgg>,
  cache?: TemplateViewCache,
): Promise<Map<string, CurrentTemplate>> {
  const refs: TemplateRef[] = [...all]
    .filter(([id, t]) => id !== OTHER_LABEL && t.count > 0 && t.source)
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, TEMPLATES_RESOLVED)
    .map(([id, t]) => ({ source: t.source, id }));
  if (refs.length === 0) return new Map();
  try {
    return await (cache ? cache.read(kv, refs) : currentTemplates(kv, refs));
  } catch {
    // Stats still answers, with the recorded texts.
    return new Map();
  }
}

/**
 * One stats process's recent answers of the template store, so that many dashboards polling at once do
 * not each re-read up to TEMPLATES_RESOLVED templates: an answer (or the store's lack of one) is reused
 * for `ttlMs`, which is how long a template's new form may take to show. Bounded by `maxEntries`.
 */
export class TemplateViewCache {
  private readonly seen = new Map<string, { at: number; view: CurrentTemplate | undefined }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 4 * TEMPLATES_RESOLVED,
  ) {}

  async read(kv: HmgetKv, refs: readonly TemplateRef[]): Promise<Map<string, CurrentTemplate>> {
    const t = this.now();
    const out = new Map<string, CurrentTemplate>();
    const missing: TemplateRef[] = [];
    for (const r of refs) {
      const e = this.seen.get(refKey(r));
      if (e && t - e.at < this.ttlMs) {
        if (e.view) out.set(refKey(r), e.view);
      } else missing.push(r);
    }
    if (missing.length === 0) return out;
    const got = await currentTemplates(kv, missing);
    if (this.seen.size + missing.length > this.maxEntries) this.seen.clear();
    for (const r of missing) {
      const view = got.get(refKey(r));
      this.seen.set(refKey(r), { at: t, view });
      if (view) out.set(refKey(r), view);
    }
    return out;
  }
}

function int(v: string | undefined): number {
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

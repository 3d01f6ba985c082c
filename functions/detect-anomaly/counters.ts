// A source's counters as stored (per source: fields and windows), and what they count. Pure shapes.

export interface WindowCount {
  n: number;
  err: number;
}

/**
 * Counters of one source: stored fields and windows. Counts (`_n`, `t:<tpl>`, `e:<endpoint>`) are exact
 * increments; running means (`mm:`/`pm:` log message and longest-parameter length per template, `lm:`/`lv:`
 * log latency and its square per latKey, with their count `ln:`) are written as values, all in one HSET
 * per batch (they were 4-5 HINCRBYFLOATs per template/endpoint: ~80 of a batch's ~130 norm writes); a
 * template's two means are stored as one field (norms-fields.ts).
 * Older stores hold sums (`ml:`, `pl:`, `ls:`, `lq:`); they are read as means until the first write.
 */
export interface SourceCounters {
  stats: Map<string, number>;
  /** Fields this batch sets to a value (means and latency counts), see above. */
  sets?: Map<string, number>;
  windows: Map<number, WindowCount>;
  /** `f:<tpl>` / `f:e:<endpoint>`: the source's event count when first seen, `ft:<tpl>` the template's
   * first event time (epoch ms); written once (hsetnx). */
  firsts?: Map<string, number>;
  /** Text fields: the count baselines' packed state per key (`c:<key>`, baseline.ts), as read or set. */
  packed?: Map<string, string>;
}

export function emptyCounters(): SourceCounters {
  return { stats: new Map(), windows: new Map() };
}

/** log2(x + 1): the unit of every stored mean (message and parameter length, latency). */
export const lg = (x: number) => Math.log2(x + 1);

/**
 * Templates and endpoints a source's counters track (the fields MAX_TRACKED counts); with `except`,
 * only those not in it (what a batch's deltas add to the stored counters).
 */
export function countTracked(
  stats: ReadonlyMap<string, number>,
  except?: ReadonlyMap<string, number>,
): number {
  let tracked = 0;
  for (const k of stats.keys()) if ((k.startsWith('t:') || k.startsWith('e:')) && !except?.has(k)) tracked++;
  return tracked;
}

// The bounds every parse is held to; each is a config knob (see config.ts and docs/parse-log.md).

export interface ParseLimits {
  /** Lines longer than this (UTF-8 bytes, approximated by UTF-16 units) are cut and flagged `truncated`. */
  maxLineBytes: number;
  /** Tokens beyond this are folded into one trailing `<*>` and flagged `too_many_tokens`. */
  maxTokens: number;
  /** Clusters kept per source; past it, unmatched lines get a content-addressed id but no new cluster. */
  maxTemplatesPerSource: number;
  /** Drain similarity threshold: share of a template's constant tokens a line must match to join it. */
  similarity: number;
  /** Drain tree depth (levels of token-prefix branching = depth - 2). */
  depth: number;
  /** Children per tree node before new tokens fall into the `<*>` branch. */
  maxChildren: number;
  /** Differing words a line may have with a cluster and still join it by similarity. */
  maxWordConflicts: number;
  /** Distinct values a word position needs before it can be a variable (holes.ts). */
  holeMinValues: number;
  /** Lines a hole group needs before it decides (holes.ts). */
  holeMinLines: number;
  /** A word value is rare at most this share as frequent as the template's least frequent other word. */
  holeRareRatio: number;
  /** Share of a position's distinct values that must be rare for it to be a variable. */
  holeRareShare: number;
  /** A value holding at most this share of its hole group's lines (or 2 lines) is rare there. */
  holeGroupShare: number;
}

export const DEFAULT_LIMITS: Readonly<ParseLimits> = Object.freeze({
  // 64 KiB: far above any sane log line (stack traces arrive line by line); a 1 MB line costs one cut.
  maxLineBytes: 64 * 1024,
  // 128 tokens: Loghub's longest templates have ~60 tokens; beyond that a line is data, not a template.
  maxTokens: 128,
  // 5,000 clusters: Loghub's largest 2k sample has 114 templates and full logs rarely pass a few
  // thousand; the cap keeps memory flat if masking misses a variable and templates explode.
  maxTemplatesPerSource: 5000,
  // Depth 4 is Drain's default (He et al., ICWS 2017). 0.6 (Drain uses 0.5 or 0.6 per dataset) is the
  // middle of the plateau `npm run eval:parse` measured: Loghub-2k mean GA 0.979 at 0.55 and 0.65, 0.986 at 0.6.
  similarity: 0.6,
  depth: 4,
  maxChildren: 100,
  maxWordConflicts: 0,
  holeMinValues: 3,
  holeMinLines: 8,
  holeRareRatio: 0.1,
  holeRareShare: 0.3,
  holeGroupShare: 0.02,
});

export function resolveLimits(partial?: Partial<ParseLimits>): ParseLimits {
  return { ...DEFAULT_LIMITS, ...(partial ?? {}) };
}

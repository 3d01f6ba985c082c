// A template cluster and the pure operations on it: how a line compares with a template (Drain's
// similarity, words never merged by it), what covers what, and its stored form.
import type { StoredTemplate } from '../../core/templates.js';
import { fits } from './holes.js';
import type { ParseLimits } from './limits.js';
import { hasLetter, WILDCARD } from './mask.js';

export interface Cluster {
  /** Never changes once given out, even when `tokens` generalise. */
  readonly id: string;
  tokens: string[];
  /** `tokens` joined by spaces; refreshed whenever the template generalises. */
  text: string;
  /** Tree path the cluster was filed under (token count, then prefix keys); kept for replay on load. */
  path: string[];
  readonly createdAt: number;
  /** Lines given the cluster, by this process and (as last stored) others: the evidence for merges. */
  count: number;
  /** Lines of `count` already in the hole index's word counts. */
  inFreq: number;
  /** Set once merged into a more general cluster: lines already given this id keep it, new ones go there. */
  alias?: Cluster;
}

/** The persisted form of a cluster (one KV hash field per cluster; layout in core/templates.ts). */
export type StoredCluster = StoredTemplate;

export interface MatchResult {
  cluster: Cluster;
  /** false when the source is at its template cap and the line got a detached, unsaved cluster. */
  stored: boolean;
}

/** Clusters compared per leaf, newest first. */
const LEAF_SCAN = 256;

export function sameTokens(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function older(a: Cluster, b: Cluster): boolean {
  return a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);
}

/** Whether template `t` covers `u`: equal, `<*>`, or both without letters (masking differs) at each position. */
export function covers(t: readonly string[], u: readonly string[]): boolean {
  if (t.length !== u.length) return false;
  for (let i = 0; i < t.length; i++) {
    const a = t[i];
    if (a !== u[i] && a !== WILDCARD && (hasLetter(a) || hasLetter(u[i])) && !fits(a, u[i])) return false;
  }
  return true;
}

/** Whether `a` is the first `n` entries of `b`. */
export function samePrefix(a: readonly string[], b: readonly string[], n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Follows merges to the cluster that now stands for `c`. */
export function canonical(c: Cluster): Cluster {
  while (c.alias) c = c.alias;
  return c;
}

export function bestMatch(
  clusters: readonly Cluster[],
  tokens: readonly string[],
  limits: Pick<ParseLimits, 'similarity' | 'maxWordConflicts'>,
): Cluster | undefined {
  let best: Cluster | undefined;
  let bestSim = -1;
  let bestParams = -1;
  let bestWords = -1;
  // A leaf that collects thousands of clusters (the `<*>` branch of a source whose lines start
  // with variables) would make every new line cost thousands of comparisons; only the most
  // recent LEAF_SCAN are compared. Loghub-2k leaves hold at most a few dozen.
  for (let k = clusters.length - 1; k >= 0 && k >= clusters.length - LEAF_SCAN; k--) {
    const c = clusters[k];
    const t = c.tokens;
    if (t.length !== tokens.length) continue;
    let same = 0;
    let params = 0;
    let words = 0;
    let sameWords = 0;
    for (let i = 0; i < t.length; i++) {
      // Drain's seqDist: matching constants over all positions. A masked token with no letters
      // (`<*>:<*>`) is a variable even when equal, so lines do not look alike for sharing variables.
      const tt = t[i];
      if (tt === WILDCARD) params++;
      else if (tt === tokens[i]) {
        if (hasLetter(tt)) {
          same++;
          sameWords++;
        } else if (!tt.includes(WILDCARD)) same++;
      } else if (fits(tt, tokens[i])) params++;
      else if (hasLetter(tt) || hasLetter(tokens[i])) words++;
    }
    // A differing word is either the event's own word or a variable that looks like one; only the
    // values seen at that position can tell (hole groups), so similarity alone never merges it.
    if (words > limits.maxWordConflicts) continue;
    // Every word in place and only the masking of variables differs (`<*>` vs `(<*>:<*>)`): one event.
    let sim = t.length === 0 ? 1 : same / t.length;
    if (words === 0 && sameWords > 0) sim = 1;
    // Ties go to the cluster that keeps more of the line's words, then to the more general one.
    if (
      sim > bestSim ||
      (sim === bestSim && sameWords > bestWords) ||
      (sim === bestSim && sameWords === bestWords && params > bestParams) ||
      (sim === bestSim && sameWords === bestWords && params === bestParams && best && c.id < best.id)
    ) {
      best = c;
      bestSim = sim;
      bestParams = params;
      bestWords = sameWords;
    }
  }
  return best && bestSim >= limits.similarity ? best : undefined;
}

/**
 * The constant tokens of a masked line, in order; undefined when the line has fewer than two
 * constants or no variable at all (then the signature says too little to group by).
 */
export function signature(tokens: readonly string[]): string | undefined {
  let sig = '';
  let constants = 0;
  let variables = 0;
  for (const t of tokens) {
    if (hasLetter(t) && t !== WILDCARD) {
      sig += `${t}\u0001`;
      constants++;
    } else variables++;
  }
  return constants >= 2 && variables > 0 ? sig : undefined;
}

export function toStored(c: Cluster): StoredCluster {
  return c.alias
    ? { tk: c.tokens, p: c.path, c: c.createdAt, m: canonical(c).id }
    : { tk: c.tokens, p: c.path, c: c.createdAt, n: c.count };
}

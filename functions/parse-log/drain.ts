// Online template mining after Drain (He et al., "Drain: An Online Log Parsing Approach with Fixed
// Depth Tree", ICWS 2017): lines are routed by token count and their first tokens through a bounded
// prefix tree, then join the most similar cluster of the leaf or start a new one. Pure and in-memory;
// sharing clusters across replicas is template-store.ts's job (export/merge below).
import type { StoredTemplate } from '../../core/templates.js';
import { fits, type HoleGroup, HoleIndex, holeToken } from './holes.js';
import type { ParseLimits } from './limits.js';
import { hasWildcard, shapeHash, WILDCARD } from './mask.js';
import { templateIdFor } from './template-id.js';

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

interface Node {
  children: Map<string, Node>;
  clusters: Cluster[];
}

export interface MatchResult {
  cluster: Cluster;
  /** false when the source is at its template cap and the line got a detached, unsaved cluster. */
  stored: boolean;
}

const HAS_LETTER = /[A-Za-z]/;
/** Clusters compared per leaf, newest first. */
const LEAF_SCAN = 256;
/** Same-length clusters a merge compares itself with, at most. */
const ABSORB_SCAN = 2_000;
/** Masked shapes remembered per source (a few MB at most). */
const SEEN_CACHE = 20_000;

interface SeenShape {
  tokens: string[];
  cluster: Cluster;
  next: SeenShape | undefined;
}

function sameTokens(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether template `t` covers `u`: equal, `<*>`, or both without letters (masking differs) at each position. */
function covers(t: readonly string[], u: readonly string[]): boolean {
  if (t.length !== u.length) return false;
  for (let i = 0; i < t.length; i++) {
    const a = t[i];
    if (a !== u[i] && a !== WILDCARD && (HAS_LETTER.test(a) || HAS_LETTER.test(u[i])) && !fits(a, u[i]))
      return false;
  }
  return true;
}

/** Whether `a` is the first `n` entries of `b`. */
function samePrefix(a: readonly string[], b: readonly string[], n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

export type MinerLimits = Pick<
  ParseLimits,
  | 'maxTemplatesPerSource'
  | 'similarity'
  | 'depth'
  | 'maxChildren'
  | 'maxWordConflicts'
  | 'holeMinValues'
  | 'holeMinLines'
  | 'holeRareRatio'
  | 'holeRareShare'
  | 'holeGroupShare'
  | 'holeManyValues'
>;

/** Follows merges to the cluster that now stands for `c`. */
function canonical(c: Cluster): Cluster {
  while (c.alias) c = c.alias;
  return c;
}

export class TemplateMiner {
  private readonly root: Node = { children: new Map(), clusters: [] };
  private readonly byId = new Map<string, Cluster>();
  /** Masked line -> cluster: a shape seen before goes where it went before, without a tree walk. */
  private readonly seen = new Map<number, SeenShape>();
  /** Constant-token signature -> cluster, for lines that differ only in how many variables they hold. */
  private readonly bySignature = new Map<string, Cluster>();
  /** Clusters identical but for one word position, and the word counts that decide them (holes.ts). */
  private readonly holes: HoleIndex<Cluster>;
  private absorbing = false;
  private readonly toAbsorb: Cluster[] = [];
  /** Lines mined by this miner. */
  private lines = 0;
  /** Canonical clusters by token count, for the clusters a merge covers. */
  private readonly byLength = new Map<number, Set<Cluster>>();
  /** Aliases loaded before their canonical cluster: canonical id -> clusters waiting for it. */
  private readonly waitingFor = new Map<string, Cluster[]>();
  /** Ids created or generalised since the last takeChanges(). */
  private readonly changed = new Set<string>();
  private readonly created = new Set<string>();

  constructor(
    readonly source: string,
    private readonly limits: MinerLimits,
  ) {
    this.holes = new HoleIndex({
      minValues: limits.holeMinValues,
      minLines: limits.holeMinLines,
      rareRatio: limits.holeRareRatio,
      rareShare: limits.holeRareShare,
      groupShare: limits.holeGroupShare,
      rareCount: 2,
      manyValues: limits.holeManyValues,
      minWordsLeft: 1,
    });
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * The cluster a masked shape went to before, if it is in the shape cache: what `add` returns for it,
   * read from the first `n` entries of a reused array (`hash` is `shapeHash(tokens, n)`).
   */
  seenCluster(tokens: readonly string[], n: number, hash: number): Cluster | undefined {
    for (let e = this.seen.get(hash); e; e = e.next) {
      if (samePrefix(e.tokens, tokens, n)) return this.counted(e.cluster);
    }
    return undefined;
  }

  /** Finds or creates the cluster for a masked token list and generalises it to cover the line. */
  add(tokens: string[], now: number, hash?: number): MatchResult {
    // Keyed by a numeric hash of the tokens, checked token by token: no joined string per line.
    // `hash`, when given, is `shapeHash(tokens)` computed while tokenising.
    const h = hash ?? shapeHash(tokens);
    for (let e = this.seen.get(h); e; e = e.next) {
      if (sameTokens(e.tokens, tokens)) return { cluster: this.counted(e.cluster), stored: true };
    }
    const r = this.match(tokens, now);
    if (r.stored) {
      // Bounded: cleared when full, which costs only re-walking the tree for shapes seen again.
      if (this.seen.size >= SEEN_CACHE) this.seen.clear();
      this.seen.set(h, { tokens, cluster: r.cluster, next: this.seen.get(h) });
      r.cluster = this.counted(r.cluster);
    }
    return r;
  }

  /** The id lines of `id` are now counted under (itself unless it was merged). */
  canonicalId(id: string): string {
    const c = this.byId.get(id);
    return c ? canonical(c).id : id;
  }

  /**
   * Counts a line for its cluster's evidence; at every power of two, the hole groups it is in are
   * asked again (a group waiting for more lines may now decide).
   */
  private counted(c: Cluster): Cluster {
    c = canonical(c);
    const n = ++c.count;
    this.holes.counted(c);
    // Whenever the source's lines double, every undecided group is asked again: the words around a
    // hole keep gaining lines after its last member arrived, and rarity is judged against them.
    const total = ++this.lines;
    if (total >= 64 && (total & (total - 1)) === 0) {
      for (const g of this.holes.open()) if (g.members.size > 1) this.decide(g);
      c = canonical(c);
    }
    if ((n & (n - 1)) === 0) {
      // Stored again at each doubling, so other replicas see the evidence (log2(n) writes per cluster).
      if (n > 1) this.changed.add(c.id);
      const groups = this.holes.groupsOf(c);
      if (groups) for (const g of groups.slice()) if (!c.alias) this.decide(g);
      c = canonical(c);
    }
    return c;
  }

  private match(tokens: string[], now: number): MatchResult {
    // Same constants in the same order is the strongest evidence of one event, whatever the number
    // of variables (`delete blk_1 blk_2 ...`, `5 bytes (5 KB) sent`); Drain alone cannot see it,
    // as it routes by token count first.
    const sig = signature(tokens);
    const bySig = sig === undefined ? undefined : this.bySignature.get(sig);
    if (bySig) {
      const c = canonical(bySig);
      if (c.tokens.length === tokens.length) this.generalise(c, tokens);
      return { cluster: c, stored: true };
    }
    const path = this.pathFor(tokens);
    const leaf = this.descend(path, false);
    const best = leaf ? this.bestMatch(leaf.clusters, tokens) : undefined;
    if (best) {
      this.generalise(best, tokens);
      return { cluster: best, stored: true };
    }
    const id = templateIdFor(this.source, tokens);
    const existing = this.byId.get(id);
    // Same first line as a cluster filed elsewhere (e.g. adopted from another replica): reuse it.
    if (existing) return { cluster: canonical(existing), stored: true };
    const cluster: Cluster = {
      id,
      tokens: tokens.slice(),
      text: tokens.join(' '),
      path,
      createdAt: now,
      count: 0,
      inFreq: 0,
    };
    if (this.byId.size >= this.limits.maxTemplatesPerSource) return { cluster, stored: false };
    this.insert(cluster);
    this.created.add(id);
    // A new cluster can cover clusters filed before it (`Unpacking <*> ...` after `Unpacking ucf ...`).
    if (cluster.tokens.includes(WILDCARD)) this.absorbCovered(cluster);
    return { cluster: this.joinHoles(canonical(cluster)), stored: true };
  }

  get(id: string): Cluster | undefined {
    return this.byId.get(id);
  }

  clusters(): IterableIterator<Cluster> {
    return this.byId.values();
  }

  /** Clusters created or changed since the last call, to be written to the shared store. */
  takeChanges(): { created: Cluster[]; changed: Cluster[] } {
    const created = [...this.created].map((id) => this.byId.get(id)!);
    const changed = [...this.changed].filter((id) => !this.created.has(id)).map((id) => this.byId.get(id)!);
    this.created.clear();
    this.changed.clear();
    return { created, changed };
  }

  /** Marks clusters as unsaved again (after a failed write). */
  requeue(created: Cluster[], changed: Cluster[]): void {
    for (const c of created) this.created.add(c.id);
    for (const c of changed) this.changed.add(c.id);
  }

  /** Adopts a cluster seen by another replica (or a previous run); merges with a local one of the same id. */
  merge(id: string, stored: StoredCluster): void {
    let local = this.byId.get(id);
    if (local) {
      if (!local.alias && local.tokens.length === stored.tk.length) this.generalise(local, stored.tk, false);
      if (stored.n !== undefined && stored.n > local.count && !local.alias) {
        local.count = stored.n;
        this.holes.counted(local);
      }
    } else {
      if (this.byId.size >= this.limits.maxTemplatesPerSource) return;
      local = {
        id,
        tokens: stored.tk.slice(),
        text: stored.tk.join(' '),
        path: stored.p,
        createdAt: stored.c,
        count: stored.m ? 0 : (stored.n ?? 0),
        inFreq: 0,
      };
      this.insert(local);
      if (!stored.m) this.joinHoles(local, false);
    }
    if (stored.m && stored.m !== id && !local.alias) {
      const target = this.byId.get(stored.m);
      if (target) this.aliasTo(local, canonical(target), false);
      else {
        const w = this.waitingFor.get(stored.m);
        if (w) w.push(local);
        else this.waitingFor.set(stored.m, [local]);
      }
    }
  }

  private insert(cluster: Cluster): void {
    this.descend(cluster.path, true)!.clusters.push(cluster);
    this.byId.set(cluster.id, cluster);
    const n = cluster.tokens.length;
    let same = this.byLength.get(n);
    if (!same) this.byLength.set(n, (same = new Set()));
    same.add(cluster);
    this.indexSignature(cluster);
    const waiting = this.waitingFor.get(cluster.id);
    if (waiting) {
      this.waitingFor.delete(cluster.id);
      for (const c of waiting) if (!c.alias && c !== cluster) this.aliasTo(c, cluster, false);
    }
  }

  /** Files a canonical cluster in the hole group of each of its word positions, then lets them decide. */
  private joinHoles(c: Cluster, decide = true): Cluster {
    const groups = this.holes.join(c);
    if (decide) for (const g of groups.slice()) if (!c.alias) this.decide(g);
    return canonical(c);
  }

  /** Merges a hole group into one cluster with `<*>` at its position, when its values say variable. */
  private decide(g: HoleGroup<Cluster>): void {
    if (g.members.size < 2 || !this.holes.isVariable(g)) return;
    const first = g.members.values().next().value as Cluster;
    const tokens = first.tokens.slice();
    for (const pos of g.positions) tokens[pos] = holeToken([...g.members].map((m) => m.tokens[pos]));
    // Content-addressed like every cluster: replicas that merge the same group agree on the id.
    const id = templateIdFor(this.source, tokens);
    let target = this.byId.get(id);
    if (target) target = canonical(target);
    else {
      target = {
        id,
        tokens,
        text: tokens.join(' '),
        path: this.pathFor(tokens),
        // The event is as old as its oldest member: a merge is not a new event.
        createdAt: Math.min(...[...g.members].map((m) => m.createdAt)),
        count: 0,
        inFreq: 0,
      };
      this.insert(target);
      this.created.add(id);
    }
    for (const m of [...g.members]) if (m !== target) this.aliasTo(m, target, true);
    if (!this.holes.groupsOf(target)) this.joinHoles(target);
    this.absorbCovered(canonical(target));
  }

  /**
   * After a merge, clusters the new template covers (`<*>` where they differ, or only the masking of a
   * variable differs: `<*>` vs `(<*>:<*>)`) were filed before it existed: they join it.
   */
  private absorbCovered(target: Cluster): void {
    // Merges made while absorbing (a cluster generalised by the absorption completes a hole group)
    // wait their turn instead of scanning inside the scan.
    this.toAbsorb.push(target);
    if (this.absorbing) return;
    this.absorbing = true;
    try {
      for (let next = this.toAbsorb.pop(); next; next = this.toAbsorb.pop()) {
        const c = canonical(next);
        const same = this.byLength.get(c.tokens.length);
        if (same) this.absorbInto(c, same);
      }
    } finally {
      this.absorbing = false;
    }
  }

  private absorbInto(target: Cluster, same: Set<Cluster>): void {
    let scanned = 0;
    for (const c of same) {
      if (c === target || c.alias) continue;
      if (++scanned > ABSORB_SCAN) break;
      if (covers(target.tokens, c.tokens)) {
        this.generalise(target, c.tokens);
        this.aliasTo(c, target, true);
      }
    }
  }

  /** Points `c` (and its lines' future) at `target`, which takes over its evidence. */
  private aliasTo(c: Cluster, target: Cluster, record: boolean): void {
    c.alias = target;
    target.count += c.count;
    target.inFreq += c.inFreq;
    this.byLength.get(c.tokens.length)?.delete(c);
    this.holes.leave(c);
    const leaf = this.descend(c.path, false);
    if (leaf) {
      const k = leaf.clusters.indexOf(c);
      if (k >= 0) leaf.clusters.splice(k, 1);
    }
    if (record) this.changed.add(c.id);
  }

  private indexSignature(cluster: Cluster): void {
    const sig = signature(cluster.tokens);
    if (sig !== undefined && !this.bySignature.has(sig)) this.bySignature.set(sig, cluster);
  }
  private pathFor(tokens: string[]): string[] {
    const path = [String(tokens.length)];
    const levels = Math.min(this.limits.depth - 2, tokens.length);
    let node: Node | undefined = this.root.children.get(path[0]);
    for (let i = 0; i < levels; i++) {
      const tok = tokens[i];
      let key = hasWildcard(tok) ? WILDCARD : tok;
      // A full node sends new tokens to the wildcard branch, so the tree stays bounded.
      if (node && !node.children.has(key) && node.children.size >= this.limits.maxChildren) key = WILDCARD;
      if (node && !node.children.has(key) && node.children.has(WILDCARD) && key !== WILDCARD) {
        // Unknown constant: a cluster under the wildcard branch may already cover it.
        const wild = node.children.get(WILDCARD)!;
        if (this.coveredBelow(wild, tokens, i + 1, levels)) key = WILDCARD;
      }
      path.push(key);
      node = node?.children.get(key);
    }
    return path;
  }

  private coveredBelow(node: Node, tokens: string[], depth: number, levels: number): boolean {
    let n: Node | undefined = node;
    for (let i = depth; i < levels && n; i++) {
      const k = hasWildcard(tokens[i]) ? WILDCARD : tokens[i];
      n = n.children.get(k) ?? n.children.get(WILDCARD);
    }
    return !!n && this.bestMatch(n.clusters, tokens) !== undefined;
  }

  private descend(path: string[], create: boolean): Node | undefined {
    let node = this.root;
    for (const key of path) {
      let next = node.children.get(key);
      if (!next) {
        if (!create) return undefined;
        next = { children: new Map(), clusters: [] };
        node.children.set(key, next);
      }
      node = next;
    }
    return node;
  }

  private bestMatch(clusters: Cluster[], tokens: string[]): Cluster | undefined {
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
          if (HAS_LETTER.test(tt)) {
            same++;
            sameWords++;
          } else if (!tt.includes(WILDCARD)) same++;
        } else if (fits(tt, tokens[i])) params++;
        else if (HAS_LETTER.test(tt) || HAS_LETTER.test(tokens[i])) words++;
      }
      // A differing word is either the event's own word or a variable that looks like one; only the
      // values seen at that position can tell (hole groups), so similarity alone never merges it.
      if (words > this.limits.maxWordConflicts) continue;
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
    return best && bestSim >= this.limits.similarity ? best : undefined;
  }

  /** Turns every differing position into `<*>`; true if the template changed. */
  private generalise(c: Cluster, tokens: string[], record = true): boolean {
    let changed = false;
    for (let i = 0; i < c.tokens.length; i++) {
      if (c.tokens[i] !== tokens[i] && c.tokens[i] !== WILDCARD && !fits(c.tokens[i], tokens[i])) {
        if (!changed) this.holes.leave(c);
        c.tokens[i] = WILDCARD;
        changed = true;
      }
    }
    if (changed) {
      c.text = c.tokens.join(' ');
      this.indexSignature(c);
      if (record) this.changed.add(c.id);
      this.joinHoles(c, record);
      if (!c.alias) this.absorbCovered(c);
    }
    return changed;
  }
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
    if (HAS_LETTER.test(t) && t !== WILDCARD) {
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

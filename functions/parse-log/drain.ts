// Online template mining after Drain (He et al., "Drain: An Online Log Parsing Approach with Fixed
// Depth Tree", ICWS 2017): lines are routed by token count and their first tokens through a bounded
// prefix tree, then join the most similar cluster of the leaf or start a new one. Pure and in-memory;
// sharing clusters across replicas is template-store.ts's job (export/merge below).
import {
  bestMatch,
  type Cluster,
  canonical,
  covers,
  type MatchResult,
  older,
  type StoredCluster,
  samePrefix,
  sameTokens,
  signature,
} from './cluster.js';
import { fits, type HoleGroup, HoleIndex, holeToken } from './holes.js';
import type { ParseLimits } from './limits.js';
import { hasWildcard, shapeHash, WILDCARD } from './mask.js';
import { type Node, PrefixTree } from './prefix-tree.js';
import { templateIdFor } from './template-id.js';

export { type Cluster, type MatchResult, type StoredCluster, signature, toStored } from './cluster.js';

/** Same-length clusters a merge compares itself with, at most. */
const ABSORB_SCAN = 2_000;
/** Masked shapes remembered per source (a few MB at most). */
const SEEN_CACHE = 20_000;

interface SeenShape {
  tokens: string[];
  cluster: Cluster;
  next: SeenShape | undefined;
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
>;

export class TemplateMiner {
  private readonly tree = new PrefixTree();
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
    const leaf = this.tree.descend(path, false);
    const best = leaf ? bestMatch(leaf.clusters, tokens, this.limits) : undefined;
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

  clusters = (): IterableIterator<Cluster> => this.byId.values();

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
      if (!local.alias && local.tokens.length === stored.tk.length) {
        // Another replica's merge gave it a more general form (`user=<*>`): take that form as it is.
        if (!sameTokens(local.tokens, stored.tk) && covers(stored.tk, local.tokens)) {
          this.retoken(local, stored.tk.slice());
          this.changed.delete(local.id);
          this.joinHoles(local, false);
        } else this.generalise(local, stored.tk, false);
      }
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
    this.tree.file(cluster);
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
    const members = [...g.members];
    const tokens = members[0].tokens.slice();
    for (const pos of g.positions) tokens[pos] = holeToken(members.map((m) => m.tokens[pos]));
    const same = this.byId.get(templateIdFor(this.source, tokens));
    // The oldest member becomes the template and keeps its id, so the event keeps its history (counts,
    // first seen) and a merge never looks like a new event; replicas pick the same one (oldest, then id).
    const target = same ? canonical(same) : members.reduce((a, b) => (older(b, a) ? b : a));
    if (!same) this.retoken(target, tokens);
    for (const m of members) if (m !== target) this.aliasTo(m, target, true);
    if (!this.holes.groupsOf(target)) this.joinHoles(target);
    this.absorbCovered(canonical(target));
  }

  /** Gives a cluster a more general form: refiled under its new tree path, stored again. */
  private retoken(c: Cluster, tokens: string[]): void {
    this.tree.unfile(c);
    this.holes.leave(c);
    c.tokens = tokens;
    c.text = tokens.join(' ');
    c.path = this.pathFor(tokens);
    this.tree.file(c);
    this.indexSignature(c);
    this.changed.add(c.id);
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
    this.tree.unfile(c);
    if (record) this.changed.add(c.id);
  }

  private indexSignature(cluster: Cluster): void {
    const sig = signature(cluster.tokens);
    if (sig !== undefined && !this.bySignature.has(sig)) this.bySignature.set(sig, cluster);
  }
  private pathFor(tokens: string[]): string[] {
    const path = [String(tokens.length)];
    const levels = Math.min(this.limits.depth - 2, tokens.length);
    let node: Node | undefined = this.tree.root.children.get(path[0]);
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
    return !!n && bestMatch(n.clusters, tokens, this.limits) !== undefined;
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

// Drain's fixed-depth prefix tree: clusters filed by token count and their first tokens, so a new line
// is compared only with the clusters of one leaf. Bounded by the miner's maxChildren (wildcard branch).
import type { Cluster } from './cluster.js';

export interface Node {
  children: Map<string, Node>;
  clusters: Cluster[];
}

export class PrefixTree {
  readonly root: Node = { children: new Map(), clusters: [] };

  descend(path: string[], create: boolean): Node | undefined {
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

  file(c: Cluster): void {
    this.descend(c.path, true)!.clusters.push(c);
  }

  unfile(c: Cluster): void {
    const leaf = this.descend(c.path, false);
    if (!leaf) return;
    const k = leaf.clusters.indexOf(c);
    if (k >= 0) leaf.clusters.splice(k, 1);
  }
}

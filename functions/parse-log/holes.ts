// Evidence for merging templates that differ in one word. Clusters identical but for one word
// position form a "hole group"; whether that position is part of the event (`VM Started` / `VM
// Paused`) or a variable that looks like a word (package, user and job names) is decided from how
// often each value occurs at that position over all lines of that length: a variable's values are
// many and each rare next to the words around them, an event word recurs as often as they do. This
// is the frequency idea of Brain (Yu et al., "Brain: Log Parsing with Bidirectional Parallel Tree",
// IEEE TSC 2023), decided online from counts instead of over a whole file.
import { hasLetter, WILDCARD } from './mask.js';

/** The part of a cluster the index reads and keeps its bookkeeping on. */
export interface HoleMember {
  tokens: string[];
  /** Lines given to the member (here or, as loaded, by other replicas). */
  count: number;
  /** Of those, lines already added to the index's word counts. */
  inFreq: number;
}

export interface HoleRule {
  /** Distinct values a position needs before it can be called a variable. */
  minValues: number;
  /** Lines the group needs before deciding: until values had a chance to recur, all look rare. */
  minLines: number;
  /**
   * A value is rare when it occurs at most this share as often (at its position, over lines of its
   * length) as the least frequent of the other words of the template.
   */
  rareRatio: number;
  /** A value is rare within its group when it holds at most this share of the group's lines... */
  groupShare: number;
  /** ...or at most this many lines. */
  rareCount: number;
  /** Share of the distinct values that must be rare: a variable has a tail of rare values. */
  rareShare: number;
  /** Words the merged template must keep: `<*> <*>` says nothing about the event. */
  minWordsLeft: number;
}

export interface HoleGroup<M extends HoleMember> {
  readonly key: string;
  /** The open positions: one, or two words that vary together (`user <*> from host <*>`). */
  readonly positions: readonly number[];
  readonly members: Set<M>;
}

interface Entry<M extends HoleMember> {
  member: M;
  groups: HoleGroup<M>[];
  /** Word-at-position keys of the member's words, for the frequency counts. */
  words: string[];
  dirty: boolean;
}

/** Word-at-position counts kept before they are cleared (a few MB at most). */
const MAX_FREQ_KEYS = 200_000;

// An HTTP status kept with its protocol (mask.ts keepHttpStatus) names the outcome: never a hole, however
// many statuses a fault run shows.
const HTTP_OUTCOME = /HTTP\/\d(?:\.\d)?"? [1-5]\d\d$/;

/** A token that can be a hole: one with letters (`unpacked`, `libc-bin:<*>`, `user=root`). */
export function isWord(tok: string): boolean {
  return tok !== WILDCARD && hasLetter(tok) && !HTTP_OUTCOME.test(tok);
}

const wordKey = (len: number, pos: number, word: string) => `${len}\u0002${pos}\u0001${word}`;

/** Pairs of word positions are indexed only for templates with at most this many words (66 pairs). */
const MAX_PAIR_WORDS = 12;
const PAIR_LINES_FACTOR = 2;

/** The key of the group that holds `tokens` with `positions` left open. */
export function holeKey(tokens: readonly string[], positions: readonly number[]): string {
  let k = `${tokens.length}\u0002${positions.join(',')}`;
  for (let i = 0; i < tokens.length; i++) k += positions.includes(i) ? '\u0001' : `\u0001${tokens[i]}`;
  return k;
}

export class HoleIndex<M extends HoleMember> {
  private readonly groups = new Map<string, HoleGroup<M>>();
  private readonly entries = new Map<M, Entry<M>>();
  /** Lines seen per word at a position, for lines of one length (key: wordKey). */
  private readonly freq = new Map<string, number>();
  /** Members with lines not yet in `freq`: counting a line costs two increments, not one per word. */
  private dirty: Entry<M>[] = [];

  constructor(private readonly rule: HoleRule) {}

  /**
   * Files a member under each of its word positions, then each pair of them (two variables that change
   * together never leave a one-position group with two members); returns the groups, singles first.
   */
  join(m: M): HoleGroup<M>[] {
    this.leave(m);
    const entry: Entry<M> = { member: m, groups: [], words: [], dirty: false };
    const t = m.tokens;
    const words: number[] = [];
    for (let i = 0; i < t.length; i++) {
      if (!isWord(t[i])) continue;
      words.push(i);
      entry.words.push(wordKey(t.length, i, t[i]));
      entry.groups.push(this.groupFor(t, [i], m));
    }
    if (words.length <= MAX_PAIR_WORDS)
      for (let a = 0; a < words.length; a++)
        for (let b = a + 1; b < words.length; b++)
          entry.groups.push(this.groupFor(t, [words[a], words[b]], m));
    this.entries.set(m, entry);
    this.counted(m);
    return entry.groups;
  }

  private groupFor(t: readonly string[], positions: number[], m: M): HoleGroup<M> {
    const key = holeKey(t, positions);
    let g = this.groups.get(key);
    if (!g) {
      g = { key, positions, members: new Set() };
      this.groups.set(key, g);
    }
    g.members.add(m);
    return g;
  }

  leave(m: M): void {
    const e = this.entries.get(m);
    if (!e) return;
    this.flush();
    this.entries.delete(m);
    for (const g of e.groups) {
      g.members.delete(m);
      if (g.members.size === 0) this.groups.delete(g.key);
    }
  }

  /** Groups that could merge (two members or more), as a snapshot. */
  open(): HoleGroup<M>[] {
    const out: HoleGroup<M>[] = [];
    for (const g of this.groups.values()) if (g.members.size >= Math.max(2, this.rule.minValues)) out.push(g);
    return out;
  }

  groupsOf(m: M): readonly HoleGroup<M>[] | undefined {
    return this.entries.get(m)?.groups;
  }

  /** Notes that `m.count` grew (the count is the caller's); the word counts follow at the next decision. */
  counted(m: M): void {
    const e = this.entries.get(m);
    if (e && !e.dirty && m.count > m.inFreq) {
      e.dirty = true;
      this.dirty.push(e);
    }
  }

  /** Whether the values seen at each of the group's positions say "variable". */
  isVariable(g: HoleGroup<M>): boolean {
    const rule = this.rule;
    if (g.members.size < rule.minValues) return false;
    const some = g.members.values().next().value as M;
    const t = some.tokens;
    const open = g.positions;
    let words = 0;
    for (let i = 0; i < t.length; i++) if (!open.includes(i) && isWord(t[i])) words++;
    if (words < rule.minWordsLeft) return false;
    let lines = 0;
    for (const m of g.members) lines += m.count;
    // Two open positions merge more at once, so they wait for more lines before deciding.
    if (lines < rule.minLines * (open.length > 1 ? PAIR_LINES_FACTOR : 1)) return false;
    this.flush();
    let least = Number.POSITIVE_INFINITY;
    for (let i = 0; i < t.length; i++) {
      if (!open.includes(i) && isWord(t[i]))
        least = Math.min(least, this.freq.get(wordKey(t.length, i, t[i])) ?? 0);
    }
    // Two positions at once must have every value rare: more is merged on the same evidence.
    const share = open.length > 1 ? 1 : rule.rareShare;
    for (const pos of open) if (!this.rareValues(g, pos, lines, least, share)) return false;
    return true;
  }

  private rareValues(g: HoleGroup<M>, pos: number, lines: number, least: number, share: number): boolean {
    const rule = this.rule;
    const counts = new Map<string, number>();
    for (const m of g.members) {
      const v = m.tokens[pos];
      counts.set(v, (counts.get(v) ?? 0) + m.count);
    }
    if (counts.size < rule.minValues) return false;
    const len = g.members.values().next().value!.tokens.length;
    // Rare twice over: next to the template's other words over all lines of this length (a word that
    // recurs with other variables is an event word), and within the group itself.
    const inGroup = Math.max(rule.rareCount, rule.groupShare * lines);
    let rare = 0;
    for (const [v, n] of counts) {
      if (n <= inGroup && (this.freq.get(wordKey(len, pos, v)) ?? 0) <= rule.rareRatio * least) rare++;
    }
    return rare >= share * counts.size;
  }

  private flush(): void {
    if (this.dirty.length === 0) return;
    if (this.freq.size >= MAX_FREQ_KEYS) this.freq.clear();
    for (const e of this.dirty) {
      const m = e.member;
      const add = m.count - m.inFreq;
      if (add > 0) for (const k of e.words) this.freq.set(k, (this.freq.get(k) ?? 0) + add);
      m.inFreq = m.count;
      e.dirty = false;
    }
    this.dirty = [];
  }
}

const KEY_END = new Set(['=', ':']);
const CLOSING = /^[)\]},;.:]*$/;

/**
 * The token a hole becomes: `<*>`, keeping what all values share around it when that is a key
 * (`user=root`, `user=admin` → `user=<*>`) or closing punctuation (`alice,` `bob,` → `<*>,`).
 */
export function holeToken(values: readonly string[]): string {
  let pre = values[0];
  let suf = values[0];
  for (const v of values) {
    let i = 0;
    while (i < pre.length && i < v.length && pre[i] === v[i]) i++;
    pre = pre.slice(0, i);
    let j = 0;
    while (j < suf.length && j < v.length && suf[suf.length - 1 - j] === v[v.length - 1 - j]) j++;
    suf = suf.slice(suf.length - j);
  }
  let k = pre.length;
  while (k > 0 && !KEY_END.has(pre[k - 1])) k--;
  pre = hasLetter(pre.slice(0, k)) ? pre.slice(0, k) : '';
  let m = 0;
  while (m < suf.length && !CLOSING.test(suf.slice(m))) m++;
  suf = suf.slice(m);
  if (pre.length + suf.length >= Math.min(...values.map((v) => v.length))) return WILDCARD;
  return `${pre}${WILDCARD}${suf}`;
}

/** Whether a template token with one `<*>` (`user=<*>`) stands for a line's token (`user=root`). */
export function fits(pattern: string, tok: string): boolean {
  const at = pattern.indexOf(WILDCARD);
  if (at < 0 || pattern.indexOf(WILDCARD, at + 3) >= 0) return false;
  const sufLen = pattern.length - at - 3;
  return (
    tok.length > at + sufLen &&
    tok.startsWith(pattern.slice(0, at)) &&
    (sufLen === 0 || tok.endsWith(pattern.slice(at + 3)))
  );
}

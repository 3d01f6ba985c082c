// Log parsing metrics. GA, the Loghub metric (Zhu et al., ICSE-SEIP 2019): a line is correct when the
// set of lines sharing its predicted template equals the set sharing its true template. PA, FGA and FTA
// as Loghub-2.0 scores them (Jiang et al., ISSTA 2024; logpai/loghub-2.0, benchmark/logparser/utils/
// evaluator.py, benchmark/evaluation/utils/PA_calculator.py and template_level_analysis.py), with both
// texts normalised by the rules its parsers' output goes through (benchmark/evaluation/utils/
// post_process.py, correct_single_template): its corrected truth still holds forms that those rules
// collapse (`<*>:<*>`), so normalising one side only would fail lines that agree. Predicted groups are
// template ids, not texts: an id is what stats and the dashboard count, so two ids with one text are two
// groups here (Loghub-2.0 groups parser output by text).
import { memo } from '../core/memo.js';

export function groupingAccuracy(predicted: readonly string[], truth: readonly string[]): number {
  if (predicted.length !== truth.length) throw new Error('predicted and truth differ in length');
  if (predicted.length === 0) return 1;
  const byPred = new Map<string, number[]>();
  predicted.forEach((p, i) => {
    const g = byPred.get(p);
    if (g) g.push(i);
    else byPred.set(p, [i]);
  });
  const truthSize = new Map<string, number>();
  for (const t of truth) truthSize.set(t, (truthSize.get(t) ?? 0) + 1);
  let correct = 0;
  for (const group of byPred.values()) {
    const t = truth[group[0]];
    if (group.every((i) => truth[i] === t) && truthSize.get(t) === group.length) correct += group.length;
  }
  return correct / predicted.length;
}

export interface ParseScores {
  /** Grouping accuracy: share of lines whose predicted group is exactly their true group. */
  ga: number;
  /** Parsing accuracy: share of lines whose predicted template text equals the truth (both normalised). */
  pa: number;
  /** F1 over groups: a predicted group is correct when its lines are exactly one true group's lines. */
  fga: number;
  /** F1 over templates: a predicted group is correct when FGA counts it AND its text equals the truth. */
  fta: number;
  /** Distinct predicted groups and true templates. */
  predicted: number;
  truth: number;
}

/**
 * Scores one labelled sample. `ids[i]` is line i's predicted group (its canonical template id),
 * `texts[i]` that group's template text, `truth[i]` the true template text (which also names the true
 * group, as in Loghub-2.0).
 */
export function scoreParse(
  ids: readonly string[],
  texts: readonly string[],
  truth: readonly string[],
): ParseScores {
  const n = truth.length;
  if (ids.length !== n || texts.length !== n) throw new Error('predicted and truth differ in length');
  const truthSize = new Map<string, number>();
  for (const t of truth) truthSize.set(t, (truthSize.get(t) ?? 0) + 1);
  // Per predicted group: its size, the true template of its first line, and whether all agree.
  const groups = new Map<string, { size: number; truth: string; pure: boolean; text: string }>();
  let textHits = 0;
  const norm = memo(normaliseTemplate);
  for (let i = 0; i < n; i++) {
    if (norm(texts[i]) === norm(truth[i])) textHits++;
    const g = groups.get(ids[i]);
    if (!g) groups.set(ids[i], { size: 1, truth: truth[i], pure: true, text: texts[i] });
    else {
      g.size++;
      if (g.truth !== truth[i]) g.pure = false;
    }
  }
  let groupLines = 0;
  let groupHits = 0;
  let templateHits = 0;
  for (const g of groups.values()) {
    if (!g.pure || truthSize.get(g.truth) !== g.size) continue;
    groupLines += g.size;
    groupHits++;
    if (norm(g.text) === norm(g.truth)) templateHits++;
  }
  return {
    ga: n === 0 ? 1 : groupLines / n,
    pa: n === 0 ? 1 : textHits / n,
    fga: f1(groupHits, groups.size, truthSize.size),
    fta: f1(templateHits, groups.size, truthSize.size),
    predicted: groups.size,
    truth: truthSize.size,
  };
}

function f1(hits: number, predicted: number, truth: number): number {
  if (predicted === 0 && truth === 0) return 1;
  const p = predicted ? hits / predicted : 0;
  const r = truth ? hits / truth : 0;
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

// Loghub-2.0's token delimiters for the normalisation (post_process.py): kept in the output.
const DELIMITED = /(\s|,|!|;|:|=|\||"|'|\[|\]|\(|\)|\{|\}|\.|-|\+|@|#|\$|%|&)/;
/** A token holding a variable and no space or `/` is one variable (`blk_<*>` -> `<*>`). */
const WITH_VARIABLE = /^[^\s/]*<\*>[^\s/]*$/;
/** Replacements applied until none matches, in Loghub-2.0's order. */
const COLLAPSE: [string, string][] = [
  ['<*><*>', '<*>'],
  [' #<*># ', ' <*> '],
  [' #<*> ', ' <*> '],
  ['<*>:<*>', '<*>'],
  ['<*>#<*>', '<*>'],
  ['<*>/<*>', '<*>'],
  ['<*>@<*>', '<*>'],
  ['<*>.<*>', '<*>'],
  [' "<*>" ', ' <*> '],
  [" '<*>' ", ' <*> '],
  ['<*><*>', '<*>'],
];

/**
 * Loghub-2.0's template normalisation (post_process.py, correct_single_template): whitespace runs
 * become one space; a token of digits, or one that contains `<*>`, becomes `<*>`; then runs of
 * variables joined by `.`, `:`, `#`, `/`, `@` or nothing become one `<*>`.
 */
export function normaliseTemplate(template: string): string {
  const spaced = template.trim().replace(/\s+/g, ' ');
  let t = spaced
    .split(DELIMITED)
    .map((tok) => (/^\d+$/.test(tok) || (WITH_VARIABLE.test(tok) && tok !== '<*>/<*>') ? '<*>' : tok))
    .join('');
  t = repeat(t, '<*>.<*>', '<*>');
  for (const [from, to] of COLLAPSE) t = repeat(t, from, to);
  return t;
}

function repeat(s: string, from: string, to: string): string {
  while (s.includes(from)) s = s.replaceAll(from, to);
  return s;
}

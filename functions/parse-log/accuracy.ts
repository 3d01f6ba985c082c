// Grouping accuracy (GA), the Loghub parsing metric (Zhu et al., ICSE-SEIP 2019): a line is correct
// when the set of lines sharing its predicted template equals the set sharing its true template.

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

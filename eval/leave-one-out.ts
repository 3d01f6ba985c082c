// Leave-one-dataset-out choice of parameters: a value counts only if it helps on a dataset it was
// not chosen on. For each held-out dataset, every candidate value is scored on the other datasets
// (mean), the best is kept, and the held-out dataset's score with it is set beside its score with the
// default. One parameter at a time, the others at their defaults.

export interface Candidate<V = unknown> {
  name: string;
  values: readonly V[];
  default: V;
}

export interface HeldOutRow {
  dataset: string;
  chosen: unknown;
  withChosen: number;
  withDefault: number;
}

/**
 * `score(dataset, overrides)` is one dataset's score (higher is better) with the parameter set to a
 * value. Each (value, dataset) pair is scored once. Ties between values go to the default, then to
 * the earlier value.
 */
export function leaveOneOut<V>(
  param: Candidate<V>,
  datasets: readonly string[],
  score: (dataset: string, overrides: Record<string, V>) => number,
): HeldOutRow[] {
  const values = param.values.includes(param.default) ? param.values : [param.default, ...param.values];
  const table = values.map((v) => datasets.map((d) => score(d, { [param.name]: v })));
  const byDefault = table[values.indexOf(param.default)];
  return datasets.map((dataset, held) => {
    let best = values.indexOf(param.default);
    let bestMean = meanExcept(table[best], held);
    values.forEach((_, k) => {
      const m = meanExcept(table[k], held);
      if (m > bestMean + 1e-12) {
        best = k;
        bestMean = m;
      }
    });
    return { dataset, chosen: values[best], withChosen: table[best][held], withDefault: byDefault[held] };
  });
}

function meanExcept(xs: readonly number[], skip: number): number {
  let sum = 0;
  let n = 0;
  xs.forEach((x, i) => {
    if (i !== skip) {
      sum += x;
      n++;
    }
  });
  return n ? sum / n : 0;
}

/** The table `npm run eval:parse` prints for one parameter. */
export function formatLeaveOneOut(param: Candidate, rows: readonly HeldOutRow[], metric = 'GA'): string {
  const mean = (f: (r: HeldOutRow) => number) => rows.reduce((s, r) => s + f(r), 0) / (rows.length || 1);
  const head = `held out    ${param.name} chosen   ${metric} with chosen   ${metric} with default (${String(param.default)})`;
  const lines = rows.map(
    (r) =>
      `${r.dataset.padEnd(11)} ${String(r.chosen).padEnd(param.name.length + 8)} ${r.withChosen.toFixed(3).padEnd(metric.length + 13)} ${r.withDefault.toFixed(3)}`,
  );
  const tail = `${'mean'.padEnd(11)} ${''.padEnd(param.name.length + 8)} ${mean((r) => r.withChosen)
    .toFixed(3)
    .padEnd(metric.length + 13)} ${mean((r) => r.withDefault).toFixed(3)}`;
  return [head, ...lines, tail].join('\n');
}

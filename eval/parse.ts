// `npm run eval:parse`: grouping accuracy per Loghub-2k dataset and the mean, next to Drain's published GA.
import { loadLoghub, scoreDataset } from '../functions/parse-log/loghub.js';

/** Drain (Zhu et al., ICSE-SEIP 2019, reproduced by LogPAI's logparser). */
const DRAIN_GA: Record<string, number> = {
  HDFS: 0.998,
  Hadoop: 0.948,
  Spark: 0.92,
  Zookeeper: 0.967,
  OpenSSH: 0.788,
  Apache: 1.0,
  HealthApp: 0.78,
  Proxifier: 0.527,
};

const rows: string[] = [];
let sum = 0;
let n = 0;
let allAbove = true;
for (const ds of loadLoghub()) {
  const { ga, templates } = scoreDataset(ds);
  const drain = DRAIN_GA[ds.name];
  const ok = drain === undefined || ga >= drain;
  allAbove &&= ok;
  sum += ga;
  n++;
  rows.push(
    `${ds.name.padEnd(10)} GA ${ga.toFixed(3)}  drain ${drain?.toFixed(3) ?? '  -  '}  ${ok ? 'ok ' : 'LOW'}  templates ${templates}`,
  );
}
const mean = sum / n;
process.stdout.write(
  `${rows.join('\n')}\nmean       GA ${mean.toFixed(3)}  (target >= 0.950)${allAbove ? '' : '  some below Drain'}\n`,
);

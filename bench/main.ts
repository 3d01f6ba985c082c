// `npm run bench [-- --json] [--quick] [--only=parse,detect,stages,reader,stats,search,pipeline,syslog] [--soak=10m]`: prints measured
// figures; --soak adds a long run at half rate to the pipeline section and reports RSS over time.
// With --json, one JSON object of all figures on stdout and progress on stderr.
// Each section runs in a fresh process: a section's JIT state and heap must not slow the next one.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseDuration } from '../core/env.js';
import { detectBench } from './detect.js';
import { overheadLine, overheads } from './efficiency.js';
import { parseBench } from './parse.js';
import { pipelineBench } from './pipeline.js';
import { readerBench } from './reader.js';
import { searchBench } from './search.js';
import type { BenchSection } from './section.js';
import { stagesBench } from './stages.js';
import { statsBench } from './stats.js';
import { syslogBench } from './syslog.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const child = args.includes('--section-child');
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice(7);
const soakArg = args.find((a) => a.startsWith('--soak='));
const soakMs = soakArg ? parseDuration(soakArg.slice(7)) : undefined;
if (soakArg && !soakMs) throw new Error(`bad --soak value ${soakArg}: use e.g. --soak=10m`);
const sections: [string, BenchSection][] = [
  ['parse', parseBench],
  ['detect', detectBench],
  ['stages', stagesBench],
  ['reader', readerBench],
  ['stats', statsBench],
  ['search', searchBench],
  ['pipeline', pipelineBench],
  ['syslog', syslogBench],
];
const log = (line: string) => process.stderr.write(`${line}\n`);
const wanted = sections.filter(([name]) => !onlyArg || onlyArg.split(',').includes(name));

if (child) {
  // One section, figures as JSON on stdout for the parent.
  const [name, section] = wanted[0];
  log(`# ${name}`);
  const r = await section({ quick, log, soakMs });
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

const figures: Record<string, unknown> = {
  machine: { cpus: cpus().length, node: process.version, loadavg_1m: Number(loadavg()[0].toFixed(2)) },
};
for (const [name] of wanted) {
  const out = execFileSync(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      '--section-child',
      `--only=${name}`,
      ...(quick ? ['--quick'] : []),
      ...(soakArg ? [soakArg] : []),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Awaited<ReturnType<BenchSection>>;
  Object.assign(figures, r.figures);
  for (const l of r.lines) (json ? log : (x: string) => process.stdout.write(`${x}\n`))(l);
}
(figures.machine as Record<string, number>).loadavg_1m_end = Number(loadavg()[0].toFixed(2));
// The overhead ratios need the parse and detect sections' figures next to the pipeline's.
const over = overheads(figures);
Object.assign(figures, over);
const overLine = overheadLine(over);
if (overLine) (json ? log : (x: string) => process.stdout.write(`${x}\n`))(overLine);
if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(0);

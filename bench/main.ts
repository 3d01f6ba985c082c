// `npm run bench [-- --json] [--quick] [--only parse,detect,pipeline]`: prints measured figures.
// With --json, one JSON object of all figures on stdout and progress on stderr.
import { detectBench } from './detect.js';
import { parseBench } from './parse.js';
import { pipelineBench } from './pipeline.js';
import type { BenchSection } from './section.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice(7);
const sections: [string, BenchSection][] = [
  ['parse', parseBench],
  ['detect', detectBench],
  ['pipeline', pipelineBench],
];
const log = (line: string) => process.stderr.write(`${line}\n`);
const figures: Record<string, unknown> = {
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
};
for (const [name, section] of sections) {
  if (onlyArg && !onlyArg.split(',').includes(name)) continue;
  log(`# ${name}`);
  const r = await section({ quick, log });
  Object.assign(figures, r.figures);
  for (const l of r.lines) (json ? log : (x: string) => process.stdout.write(`${x}\n`))(l);
}
if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(0);

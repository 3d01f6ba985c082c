// `npm run eval:incidents [-- --corpus=DIR] [--json]`: incidents against hand-labelled fault windows of
// real logs (the corpus of issue #12/#13, test/fixtures/corpus: faults.json per fault run, and fault-free
// runs), each file through `logfaas analyze`'s path (the stack's detector, default settings).
// An incident is right when its span overlaps a fault window (windows widened by the note's slack);
// a window is found when an incident overlaps it. On fault-free runs: share of lines flagged, incidents.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeFile } from '../cli/commands/analyze-file.js';
import { logFormatFlag } from '../cli/log-format-flag.js';
import { parseEventTime } from '../core/event-time.js';
import type { Incident } from '../core/incident.js';
import { DEFAULT_DETECT } from '../functions/detect-anomaly/config.js';

const args = process.argv.slice(2);
const corpus = args.find((a) => a.startsWith('--corpus='))?.slice(9) ?? 'test/fixtures/corpus';
const json = args.includes('--json');
/** Slack around a window: the corpus notes give 1-2 s; the detector's count buckets are 10 s wide. */
const SLACK_MS = 2_000;

interface Window {
  kind: string;
  start: string;
  end: string;
}

interface Row {
  dataset: string;
  lines: number;
  flagged: number;
  incidents: number;
  windows?: number;
  found?: number;
  right?: number;
  /** Kinds of the windows no incident overlaps. */
  missed?: string[];
}

if (!existsSync(join(corpus, 'formats.json'))) {
  process.stderr.write(`eval:incidents: no corpus at ${corpus} (pass --corpus=DIR)\n`);
  process.exit(0);
}
const formats = JSON.parse(readFileSync(join(corpus, 'formats.json'), 'utf8')).datasets as Record<
  string,
  { log_file: string; log_format: string }
>;

/** Auto-detected formats first (they read HTTP fields); the dataset's Loghub format when that leaves lines untimed. */
async function analyze(name: string) {
  const file = join(corpus, formats[name].log_file);
  const run = (format?: string) =>
    analyzeFile(file, {
      source: name,
      format: logFormatFlag(format),
      config: DEFAULT_DETECT,
    });
  const auto = await run();
  return auto.timed ? auto : run(formats[name].log_format);
}

const span = (x: Incident): [number, number] => [
  parseEventTime(x.firstTs),
  parseEventTime(x.lastTs) +
    (x.kind === 'new_template' || x.kind === 'event_anomaly' ? 0 : DEFAULT_DETECT.windowMs),
];

const rows: Row[] = [];
for (const name of Object.keys(formats).sort()) {
  const faults = join(corpus, name, 'faults.json');
  const clean = name.endsWith('_clean');
  if (!clean && !existsSync(faults)) continue;
  const r = await analyze(name);
  const row: Row = { dataset: name, lines: r.lines, flagged: r.flagged.size, incidents: r.incidents.length };
  if (!clean) {
    const listed = JSON.parse(readFileSync(faults, 'utf8')).windows as Window[];
    const windows = listed.map(
      (w) => [Date.parse(w.start) - SLACK_MS, Date.parse(w.end) + SLACK_MS] as const,
    );
    const overlaps = (a: [number, number], w: readonly [number, number]) => a[0] <= w[1] && a[1] >= w[0];
    row.windows = windows.length;
    row.found = windows.filter((w) => r.incidents.some((x) => overlaps(span(x), w))).length;
    row.right = r.incidents.filter((x) => windows.some((w) => overlaps(span(x), w))).length;
    row.missed = listed
      .filter((_, k) => !r.incidents.some((x) => overlaps(span(x), windows[k])))
      .map((w) => w.kind);
  }
  rows.push(row);
}

const faulty = rows.filter((r) => r.windows !== undefined);
const sum = (k: 'windows' | 'found' | 'right' | 'incidents' | 'lines' | 'flagged', rs: Row[]) =>
  rs.reduce((s, r) => s + (r[k] ?? 0), 0);
const precision = sum('right', faulty) / Math.max(1, sum('incidents', faulty));
const recall = sum('found', faulty) / Math.max(1, sum('windows', faulty));
const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
const cleanRows = rows.filter((r) => r.windows === undefined);
const cleanShare = sum('flagged', cleanRows) / Math.max(1, sum('lines', cleanRows));

if (json) {
  process.stdout.write(`${JSON.stringify({ corpus, rows, precision, recall, f1, cleanShare })}\n`);
} else {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const out = [
    `incidents against the fault windows of ${corpus} (default settings, windows +-${SLACK_MS / 1000} s)`,
    '',
    `${'dataset'.padEnd(20)} ${'lines'.padStart(6)} ${'flagged'.padStart(8)} ${'incidents'.padStart(9)} ${'right'.padStart(6)} ${'windows'.padStart(8)} ${'found'.padStart(6)}`,
    ...rows.map(
      (r) =>
        `${r.dataset.padEnd(20)} ${String(r.lines).padStart(6)} ${String(r.flagged).padStart(8)} ${String(r.incidents).padStart(9)} ${String(r.right ?? '-').padStart(6)} ${String(r.windows ?? '-').padStart(8)} ${String(r.found ?? '-').padStart(6)}`,
    ),
    '',
    `incidents: precision ${pct(precision)} (${sum('right', faulty)}/${sum('incidents', faulty)}), recall ${pct(recall)} (${sum('found', faulty)}/${sum('windows', faulty)} windows), F1 ${pct(f1)}`,
    ...faulty.filter((r) => r.missed?.length).map((r) => `missed in ${r.dataset}: ${r.missed!.join(', ')}`),
    `fault-free runs: ${pct(cleanShare)} of lines flagged (${sum('flagged', cleanRows)}/${sum('lines', cleanRows)}), ${sum('incidents', cleanRows)} incidents`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

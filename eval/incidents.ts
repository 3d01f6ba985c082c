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
const debug = args.includes('--debug');
/** `--set=name=value` (repeatable): a DetectConfig number changed for this run (leave-one-log-out checks). */
const config = { ...DEFAULT_DETECT } as Record<string, unknown>;
for (const a of args.filter((x) => x.startsWith('--set='))) {
  const [k, v] = a.slice(6).split('=');
  if (typeof config[k] !== 'number' || Number.isNaN(Number(v))) {
    process.stderr.write(`eval:incidents: --set=${k}: not a numeric setting\n`);
    process.exit(2);
  }
  config[k] = Number(v);
}
const cfg = config as unknown as typeof DEFAULT_DETECT;
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
  /** Windows an incident opened in (its first time inside the window, or the bucket before it): told at the time, not by a longer incident. */
  opened?: number;
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
      config: cfg,
    });
  const auto = await run();
  return auto.timed ? auto : run(formats[name].log_format);
}

const span = (x: Incident): [number, number] => [
  parseEventTime(x.firstTs),
  parseEventTime(x.lastTs) + (x.kind === 'new_template' || x.kind === 'event_anomaly' ? 0 : cfg.windowMs),
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
    const opens = (x: Incident, w: readonly [number, number]) => {
      const t = parseEventTime(x.firstTs);
      const lead = x.kind === 'new_template' || x.kind === 'event_anomaly' ? 0 : cfg.windowMs;
      return t <= w[1] && t + lead >= w[0];
    };
    row.opened = windows.filter((w) => r.incidents.some((x) => opens(x, w))).length;
    row.right = r.incidents.filter((x) => windows.some((w) => overlaps(span(x), w))).length;
    row.missed = listed
      .filter((_, k) => !r.incidents.some((x) => overlaps(span(x), windows[k])))
      .map((w) => w.kind);
  }
  if (debug) {
    const listed = clean ? [] : (JSON.parse(readFileSync(faults, 'utf8')).windows as Window[]);
    const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 19);
    process.stderr.write(`\n${name}\n`);
    for (const w of listed)
      process.stderr.write(`  window ${w.kind} ${w.start.slice(11, 19)}-${w.end.slice(11, 19)}\n`);
    for (const x of [...r.incidents].reverse()) {
      const [a, b] = span(x);
      const hit = listed.find(
        (w) => a <= Date.parse(w.end) + SLACK_MS && b >= Date.parse(w.start) - SLACK_MS,
      );
      process.stderr.write(
        `  ${hit ? `ok ${hit.kind}` : 'FALSE'} ${x.kind} ${hhmmss(a)}-${hhmmss(b)} n=${x.count} ${x.reasons.slice(0, 2).join(' | ').slice(0, 200)}\n`,
      );
    }
  }
  rows.push(row);
}

const faulty = rows.filter((r) => r.windows !== undefined);
const sum = (k: 'windows' | 'found' | 'opened' | 'right' | 'incidents' | 'lines' | 'flagged', rs: Row[]) =>
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
    `${'dataset'.padEnd(20)} ${'lines'.padStart(6)} ${'flagged'.padStart(8)} ${'incidents'.padStart(9)} ${'right'.padStart(6)} ${'windows'.padStart(8)} ${'found'.padStart(6)} ${'opened'.padStart(7)}`,
    ...rows.map(
      (r) =>
        `${r.dataset.padEnd(20)} ${String(r.lines).padStart(6)} ${String(r.flagged).padStart(8)} ${String(r.incidents).padStart(9)} ${String(r.right ?? '-').padStart(6)} ${String(r.windows ?? '-').padStart(8)} ${String(r.found ?? '-').padStart(6)} ${String(r.opened ?? '-').padStart(7)}`,
    ),
    '',
    `incidents: precision ${pct(precision)} (${sum('right', faulty)}/${sum('incidents', faulty)}), recall ${pct(recall)} (${sum('found', faulty)}/${sum('windows', faulty)} windows), F1 ${pct(f1)}; windows an incident opened in: ${sum('opened', faulty)}/${sum('windows', faulty)}`,
    ...faulty.filter((r) => r.missed?.length).map((r) => `missed in ${r.dataset}: ${r.missed!.join(', ')}`),
    `fault-free runs: ${pct(cleanShare)} of lines flagged (${sum('flagged', cleanRows)}/${sum('lines', cleanRows)}), ${sum('incidents', cleanRows)} incidents`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

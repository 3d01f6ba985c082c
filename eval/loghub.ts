// Loads the Loghub-2k fixtures (test/fixtures/loghub) and the hand-labelled corpus (test/fixtures/corpus)
// and scores the parser on them; shared by the pinned-accuracy test, `npm run eval:parse` and the bench.
// Node-only (reads files).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLineParser, type ParseLimits, type TemplateMiner } from '../functions/parse-log/pipeline.js';
import { groupingAccuracy, type ParseScores, scoreParse } from './accuracy.js';

export const LOGHUB_DIR = 'test/fixtures/loghub';
/** The hand-labelled logs of software run on this machine (test/fixtures/corpus/README.md). */
export const CORPUS_DIR = 'test/fixtures/corpus';

/** A sample with the true template text of every line (Loghub's, or a hand-labelled corpus's). */
export interface LabelledDataset {
  name: string;
  /** Format string (Loghub's `log_format`); none means the parser detects the layout itself. */
  format?: string;
  lines: string[];
  /** True template text per line; equal texts are one true group. */
  templates: string[];
}

export interface LoghubDataset extends LabelledDataset {
  format: string;
  /** Zhu et al.'s EventId per line (`_structured.csv`): the grouping the pinned GA is measured on. */
  eventIds: string[];
}

function readFormats(dir: string): [string, { log_file: string; log_format: string }][] {
  const meta = JSON.parse(readFileSync(join(dir, 'formats.json'), 'utf8')) as {
    datasets: Record<string, { log_file: string; log_format: string }>;
  };
  return Object.entries(meta.datasets);
}

function readLines(path: string): string[] {
  // The Loghub files end lines with CR LF (all but Proxifier) and have no final newline.
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

export function loadLoghub(dir = LOGHUB_DIR): LoghubDataset[] {
  return readFormats(dir).map(([name, d]) => {
    const lines = readLines(join(dir, d.log_file));
    const eventIds = readFileSync(join(dir, `${d.log_file}_eventids.csv`), 'utf8')
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((r) => r.split(',')[1]);
    // Loghub-2.0's corrected template text (`_structured_corrected.csv`), stored as the distinct
    // texts and one index per line.
    const t = JSON.parse(readFileSync(join(dir, `${d.log_file}_templates.json`), 'utf8')) as {
      templates: string[];
      lines: number[];
    };
    const templates = t.lines.map((k) => t.templates[k]);
    return { name, format: d.log_format, lines, eventIds, templates };
  });
}

/** Rows of an RFC 4180 CSV (quoted fields may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/**
 * The corpus: per dataset `<log_file>` (one event per line) and `<log_file>_structured.csv` with at least
 * LineId, EventId and EventTemplate, in Loghub-2.0's layout.
 */
export function loadCorpus(dir = CORPUS_DIR): (LabelledDataset & { eventIds: string[] })[] {
  return readFormats(dir).map(([name, d]) => {
    const lines = readLines(join(dir, d.log_file));
    const [header, ...rows] = parseCsv(readFileSync(join(dir, `${d.log_file}_structured.csv`), 'utf8'));
    const col = (c: string) => {
      const i = header.indexOf(c);
      if (i < 0) throw new Error(`${name}: structured CSV has no ${c} column`);
      return i;
    };
    const [id, template] = [col('EventId'), col('EventTemplate')];
    if (rows.length !== lines.length)
      throw new Error(`${name}: ${lines.length} lines but ${rows.length} labelled rows`);
    return {
      name,
      format: d.log_format,
      lines,
      eventIds: rows.map((r) => r[id]),
      templates: rows.map((r) => r[template]),
    };
  });
}

/**
 * How a run's template ids are read once the run is over: the id a line's events are counted under
 * (a merged template points to its canonical one) and that template's text at the end of the run
 * (templates generalise as lines arrive, so a line's own event may carry an older form).
 */
export interface TemplateView {
  canonical(id: string): string;
  finalTemplate(id: string): string | undefined;
}

// Lines keep the id they were given; merges since then are followed, as stats does.
export const minerView = (miner: TemplateMiner): TemplateView => ({
  canonical: (id) => miner.canonicalId(id),
  finalTemplate: (id) => miner.get(miner.canonicalId(id))?.text,
});

export interface DatasetScore extends ParseScores {
  /** Templates the miner holds at the end of the run. */
  templates: number;
}

/** Parses a labelled sample with only its format string and the given limits, and scores it. */
export function scoreLabelled(
  ds: LabelledDataset,
  limits?: Partial<ParseLimits>,
  view: (miner: TemplateMiner) => TemplateView = minerView,
): DatasetScore & { ids: string[]; texts: string[] } {
  const parser = createLineParser({
    source: ds.name,
    format: ds.format,
    now: () => Date.UTC(2026, 1, 7),
    limits,
  });
  const events = parser.parse(ds.lines);
  const v = view(parser.miner);
  const ids = events.map((e) => v.canonical(e.templateId));
  const texts = events.map((e, i) => v.finalTemplate(ids[i]) ?? e.template);
  return { ...scoreParse(ids, texts, ds.templates), templates: new Set(ids).size, ids, texts };
}

/** GA of one Loghub dataset on Zhu et al.'s EventIds (the pinned figure), with the Loghub-2.0 scores. */
export function scoreDataset(
  ds: LoghubDataset,
  limits?: Partial<ParseLimits>,
  view?: (miner: TemplateMiner) => TemplateView,
): DatasetScore & { ga: number; ga2: number } {
  const { ids, texts: _, ...s } = scoreLabelled(ds, limits, view);
  return { ...s, ga2: s.ga, ga: groupingAccuracy(ids, ds.eventIds) };
}

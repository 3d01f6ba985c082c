// Loads the Loghub-2k fixtures (test/fixtures/loghub) and the hand-labelled corpus (test/fixtures/corpus)
// and scores the parser on them; shared by the pinned-accuracy test, `npm run eval:parse` and the bench.
// Node-only (reads files).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupingAccuracy } from './accuracy.js';
import { createLineParser, type ParseLimits } from './pipeline.js';

export const LOGHUB_DIR = 'test/fixtures/loghub';
/** The hand-labelled logs of software run on this machine (test/fixtures/corpus/README.md). */
export const CORPUS_DIR = 'test/fixtures/corpus';

export interface LoghubDataset {
  name: string;
  format: string;
  lines: string[];
  eventIds: string[];
}

/** A corpus dataset also carries the ground-truth template of each line, for template-level metrics. */
export interface LabelledDataset extends LoghubDataset {
  templates: string[];
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
    return { name, format: d.log_format, lines, eventIds };
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
export function loadCorpus(dir = CORPUS_DIR): LabelledDataset[] {
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

/** GA of one dataset, parsed with only its format string and the generic defaults. */
export function scoreDataset(
  ds: LoghubDataset,
  limits?: Partial<ParseLimits>,
): { ga: number; templates: number } {
  const parser = createLineParser({
    source: ds.name,
    format: ds.format,
    now: () => Date.UTC(2026, 1, 7),
    limits,
  });
  const events = parser.parse(ds.lines);
  return {
    ga: groupingAccuracy(
      events.map((e) => e.templateId),
      ds.eventIds,
    ),
    templates: parser.miner.size,
  };
}

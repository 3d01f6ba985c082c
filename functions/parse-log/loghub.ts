// Loads the Loghub-2k fixtures (test/fixtures/loghub) and scores the parser on them; shared by the
// pinned-accuracy test, `npm run eval:parse` and the bench. Node-only (reads files).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupingAccuracy } from './accuracy.js';
import { createLineParser, type ParseLimits } from './pipeline.js';

export const LOGHUB_DIR = 'test/fixtures/loghub';

export interface LoghubDataset {
  name: string;
  format: string;
  lines: string[];
  eventIds: string[];
}

export function loadLoghub(dir = LOGHUB_DIR): LoghubDataset[] {
  const meta = JSON.parse(readFileSync(join(dir, 'formats.json'), 'utf8')) as {
    datasets: Record<string, { log_file: string; log_format: string }>;
  };
  return Object.entries(meta.datasets).map(([name, d]) => {
    // The files end lines with CR LF (all but Proxifier) and have no final newline.
    const lines = readFileSync(join(dir, d.log_file), 'utf8')
      .split('\n')
      .map((l) => l.replace(/\r$/, ''));
    if (lines.at(-1) === '') lines.pop();
    const eventIds = readFileSync(join(dir, `${d.log_file}_eventids.csv`), 'utf8')
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((r) => r.split(',')[1]);
    return { name, format: d.log_format, lines, eventIds };
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
    // Lines keep the id they were given; merges since then are followed, as stats does.
    ga: groupingAccuracy(
      events.map((e) => parser.miner.canonicalId(e.templateId)),
      ds.eventIds,
    ),
    templates: parser.miner.size,
  };
}

// eval:parse scores the miner on each labelled sample in one call; the stack parses 2,000-line batches
// through parse-log's handler, whose template store re-reads the KV and re-parses a batch that created
// templates. Both must group the lines alike, or the published accuracy would not be the product's.
import { expect, it } from 'vitest';
import { createMemoryKv } from '../core/kv/memory.js';
import { silentLogger } from '../core/log.js';
import { currentTemplates } from '../core/templates.js';
import { loadParseLogConfig } from '../functions/parse-log/config.js';
import { createParseLogHandler } from '../functions/parse-log/handler.js';
import { scoreParse } from './accuracy.js';
import { type LabelledDataset, loadCorpus, loadLoghub, scoreLabelled } from './loghub.js';

/** GA and PA of the handler over `batch`-line requests, ids read as stats reads them (merges followed). */
async function scoreThroughHandler(ds: LabelledDataset, batch: number) {
  const kv = await createMemoryKv();
  try {
    const handler = createParseLogHandler({
      kv,
      config: loadParseLogConfig({}),
      logger: silentLogger,
      now: () => Date.UTC(2026, 1, 7),
    });
    const query = new URLSearchParams({ source: ds.name, multiline: 'off' });
    if (ds.format) query.set('format', ds.format);
    const ids: string[] = [];
    for (let i = 0; i < ds.lines.length; i += batch) {
      const res = await handler(
        new Request(`http://parse-log/?${query}`, {
          method: 'POST',
          body: `${ds.lines.slice(i, i + batch).join('\n')}\n`,
        }),
      );
      const text = await res.text();
      expect(res.status, text).toBe(200);
      for (const line of text.trim().split('\n')) ids.push(JSON.parse(line).templateId);
    }
    const current = await currentTemplates(
      kv,
      [...new Set(ids)].map((id) => ({ source: ds.name, id })),
    );
    const at = (id: string) => current.get(`${ds.name}|${id}`);
    return scoreParse(
      ids.map((id) => at(id)?.id ?? id),
      ids.map((id) => at(id)?.text ?? id),
      ds.templates,
    );
  } finally {
    await kv.close();
  }
}

it('parse-log in 500-line batches groups every labelled sample as the one-call eval does', async () => {
  for (const ds of [...loadLoghub(), ...loadCorpus()]) {
    const one = scoreLabelled(ds);
    const batched = await scoreThroughHandler(ds, 500);
    expect([ds.name, batched.ga, batched.pa]).toEqual([ds.name, one.ga, one.pa]);
  }
}, 60_000);

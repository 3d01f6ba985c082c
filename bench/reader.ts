// Bench section: what detect-anomaly does with a batch before and after scoring it, alone in one process:
// the lean decode of parse-log's binary batch, and the search lines built from it, copying a plain ASCII
// raw line's bytes from the batch (what detect-anomaly does) or encoding its string (the fallback).
// Best of 8 rounds of 40 batches each: these are short loops, so the best round is the least disturbed.
import { EVENT_BATCH_BIN_TYPE } from '../core/event-batch-bin.js';
import { decodeEventBatchBinLean } from '../core/event-batch-bin-read.js';
import { H } from '../core/headers.js';
import { createMemoryKv } from '../core/kv/memory.js';
import { silentLogger } from '../core/log.js';
import { DEFAULT_SEARCH_STORE } from '../core/search/config.js';
import { searchWrites } from '../core/search/store.js';
import { loadParseLogConfig } from '../functions/parse-log/config.js';
import { createParseLogHandler } from '../functions/parse-log/handler.js';
import { mixedLines } from '../test/e2e/lines.js';
import type { BenchSection } from './section.js';

const BATCH = 6000;

export const readerBench: BenchSection = async ({ quick, log }) => {
  const parse = createParseLogHandler({
    kv: await createMemoryKv(),
    config: loadParseLogConfig({}),
    logger: silentLogger,
  });
  const res = await parse(
    new Request('http://parse-log/', {
      method: 'POST',
      body: mixedLines(BATCH, 3).lines.join('\n'),
      headers: { 'content-type': 'text/plain', accept: EVENT_BATCH_BIN_TYPE, [H.source]: 'bench' },
    }),
  );
  if (!res.ok) throw new Error(`parse-log answered ${res.status}: ${await res.text()}`);
  const body = new Uint8Array(await res.arrayBuffer());
  const config = { ...DEFAULT_SEARCH_STORE, enabled: true };
  const rounds = quick ? 3 : 8;
  const best = (run: () => void) => {
    let us = Number.POSITIVE_INFINITY;
    for (let r = 0; r < rounds; r++) {
      const t = performance.now();
      for (let i = 0; i < 40; i++) run();
      us = Math.min(us, ((performance.now() - t) * 1000) / (40 * BATCH));
    }
    return +us.toFixed(3);
  };
  const search = (bytes: boolean) => () => {
    const d = decodeEventBatchBinLean(body);
    const rawBytes = bytes ? { body, at: d.rawAt } : undefined;
    searchWrites(d.events, d.times, { now: 1, config, rawBytes });
  };
  // Alternated, so a slow spell of the machine falls on both.
  let decode = Number.POSITIVE_INFINITY;
  let copied = Number.POSITIVE_INFINITY;
  let encoded = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 2; k++) {
    decode = Math.min(
      decode,
      best(() => decodeEventBatchBinLean(body)),
    );
    copied = Math.min(copied, best(search(true)));
    encoded = Math.min(encoded, best(search(false)));
  }
  const figures = {
    reader_decode_us_per_line: decode,
    reader_search_copied_us_per_line: +(copied - decode).toFixed(3),
    reader_search_encoded_us_per_line: +(encoded - decode).toFixed(3),
  };
  const line = `detect-anomaly's batch reader (${BATCH.toLocaleString()}-line batch of the bench's mix, best of ${rounds} x 40): lean decode ${decode} µs a line; search lines ${figures.reader_search_copied_us_per_line} µs a line copying raw bytes, ${figures.reader_search_encoded_us_per_line} encoding raw strings`;
  log(line);
  return { figures, lines: [line] };
};

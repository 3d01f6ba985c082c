// Bench section: stages. parse-log's and detect-anomaly's handlers called in this process on real Redis,
// with the bodies and headers the connector sends them: each stage's cost without HTTP, broker or the
// other processes, so a change to a handler is judged on a figure that the rest of the machine barely moves.
// `node --cpu-prof dist/bench.mjs --section-child --only=stages` profiles exactly this work.

import { DEFAULT_ACCEPT } from '../connectors/rabbitmq/config.js';
import { EnvReader } from '../core/env.js';
import { EVENT_BATCH_TYPE } from '../core/event-batch.js';
import { H } from '../core/headers.js';
import { createKv } from '../core/kv/create.js';
import { silentLogger } from '../core/log.js';
import { loadDetectConfig } from '../functions/detect-anomaly/config.js';
import { createDetectAnomalyHandler } from '../functions/detect-anomaly/handler.js';
import { loadParseLogConfig } from '../functions/parse-log/config.js';
import { createParseLogHandler } from '../functions/parse-log/handler.js';
import { dropNamespace } from '../runner/drop-namespace.js';
import { mixedLines } from '../test/e2e/lines.js';
import { amqpUrl, redisUrl } from '../test/services.js';
import { warmupLines } from './load.js';
import { cpuMeter, servicePids } from './meter.js';
import type { BenchSection } from './section.js';

const REDIS = redisUrl();
const AMQP = amqpUrl();
/** The producer's default BATCH_LINES; `BENCH_STAGES_BATCH=500` measures what small requests cost. */
const BATCH = stagesBatch();

function stagesBatch(): number {
  const r = new EnvReader(process.env);
  const n = r.int('BENCH_STAGES_BATCH', 6_000, 1);
  r.done();
  return n;
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export const stagesBench: BenchSection = async ({ quick, log }) => {
  const total = quick ? 50_000 : 200_000;
  const { lines } = mixedLines(total, 3);
  const ns = `bench-stages-${process.pid}-${Date.now().toString(36)}`;
  const env = { REDIS_URL: REDIS, REDIS_PREFIX: `${ns}:` };
  const parseCfg = loadParseLogConfig(env);
  const detectCfg = loadDetectConfig(env);
  const parseKv = await createKv(parseCfg.store, silentLogger);
  const detectKv = await createKv(detectCfg.store, silentLogger);
  const parse = createParseLogHandler({ kv: parseKv, config: parseCfg, logger: silentLogger });
  const detect = createDetectAnomalyHandler({
    kv: detectKv,
    config: detectCfg.detect,
    search: detectCfg.search,
    logger: silentLogger,
  });
  const spent = { parse: 0, detect: 0 };
  try {
    let redis = cpuMeter(new Map([...servicePids(REDIS, AMQP)].filter(([k]) => k === 'redis')));
    // Warm-up first (bench/load.ts warmupLines), then the measured lines, as one stream.
    const warm = warmupLines(quick);
    // Batches cut from each apart, so the meters restart exactly where the measured lines begin.
    const batches = [...chunks(warm, BATCH), ...chunks(lines, BATCH)];
    const firstMeasured = Math.ceil(warm.length / BATCH);
    for (let n = 0; n < batches.length; n++) {
      if (n === firstMeasured) {
        spent.parse = 0;
        spent.detect = 0;
        redis = cpuMeter(new Map([...servicePids(REDIS, AMQP)].filter(([k]) => k === 'redis')));
      }
      const id = `${ns}-${n}`;
      let t = cpuNow();
      const parsed = await parse(
        new Request('http://parse-log/', {
          method: 'POST',
          body: batches[n].join('\n'),
          headers: {
            'content-type': 'text/plain',
            accept: DEFAULT_ACCEPT,
            [H.batchId]: id,
            [H.source]: 'bench',
          },
        }),
      );
      if (!parsed.ok) throw new Error(`parse-log answered ${parsed.status}: ${await parsed.text()}`);
      const body = new Uint8Array(await parsed.arrayBuffer());
      spent.parse += cpuNow() - t;
      t = cpuNow();
      const scored = await detect(
        new Request('http://detect-anomaly/', {
          method: 'POST',
          body,
          headers: {
            'content-type': parsed.headers.get('content-type') ?? EVENT_BATCH_TYPE,
            [H.batchId]: parsed.headers.get(H.batchId) ?? `${id}:parse-log`,
          },
        }),
      );
      if (!scored.ok) throw new Error(`detect-anomaly answered ${scored.status}: ${await scored.text()}`);
      await scored.text();
      spent.detect += cpuNow() - t;
    }
    const redisS = redis().redis ?? 0;
    const us = (s: number) => +((s * 1e6) / total).toFixed(2);
    const figures = {
      stage_parse_us_per_line: us(spent.parse),
      stage_detect_us_per_line: us(spent.detect),
      stage_redis_us_per_line: us(redisS),
    };
    const out = `stages in one process on real Redis (${total.toLocaleString()} lines after a warm-up of ${warm.length.toLocaleString()}, ${BATCH}-line batches): parse-log ${figures.stage_parse_us_per_line} µs a line, detect-anomaly ${figures.stage_detect_us_per_line}, Redis ${figures.stage_redis_us_per_line} (CPU, handlers only: no HTTP, broker or gateway)`;
    log(out);
    return { figures, lines: [out] };
  } finally {
    await parseKv.close();
    await detectKv.close();
    await dropNamespace({ redisUrl: REDIS, amqpUrl: AMQP, ns });
  }
};

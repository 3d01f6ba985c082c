// Producer settings, read once from the environment (loadProducerConfig), plus the pure schedule of
// synthetic load (scheduledSimulation) that the cron-connector tick and `logfaas up`'s timer use.
import { type Env, EnvReader, parseDuration } from '../../core/env.js';
import { type HttpConfig, readHttpConfig } from '../../core/http/config.js';
import { type MultilineConfig, readMultilineConfig } from '../../core/multiline-config.js';
import { readStoreConfig, type StoreConfig } from '../../core/stores-config.js';
import {
  SCENARIOS,
  type ScenarioName,
  type SimulationRequest,
  SYSTEMS,
  type SystemName,
} from './simulate/index.js';

/** Bounds on a structured record's attributes (OTLP attributes, Loki labels and structured metadata). */
export interface AttributeLimits {
  maxAttributes: number;
  maxNameBytes: number;
  maxValueBytes: number;
}

export interface ProducerConfig {
  http: HttpConfig;
  stores: StoreConfig;
  /** Topic raw batches go to (parse-log is subscribed to it). */
  topic: string;
  batchLines: number;
  batchBytes: number;
  /** How long a small batch of a request without an idempotency key waits to share a message (0: never). */
  batchLingerMs: number;
  maxDecompressedBytes: number;
  publishConcurrency: number;
  maxSimulationLines: number;
  maxPreviewLines: number;
  /** Log records (OTLP) or entries (Loki push) per request. */
  ingestMaxRecords: number;
  attributes: AttributeLimits;
  /** Interval of synthetic load in ms; 0 = switched off. */
  simulateScheduleMs: number;
  simulateLines: number;
  simulateRate: number;
  simulateSystems: SystemName[];
  /** Scenarios the schedule rotates through; empty = normal traffic only. */
  simulateScenarios: ScenarioName[];
  /** Every Nth tick injects the next scenario of the rotation. */
  simulateScenarioEvery: number;
  simulateSeed: number;
  /** Multi-line records: batches end between them; an open one at a request's end waits (MULTILINE_*). */
  multiline: MultilineConfig;
  /** Quiet time after which a held-back tail is published alone. */
  multilineFlushMs: number;
}

export function loadProducerConfig(env: Env): Readonly<ProducerConfig> {
  const r = new EnvReader(env);
  // 8 requests at once: each may hold a 16 MiB body plus its decompressed copy (MAX_DECOMPRESSED_BYTES),
  // so this bounds the producer's request memory at 8 x 80 MiB even under a flood; more concurrent
  // senders get 429 and retry (the CLI does), as a full queue would make them wait anyway.
  const http = readHttpConfig(r, { maxInflight: 8 });
  const stores = readStoreConfig(r, env);
  const schedule = r.str('SIMULATE_SCHEDULE', '30s');
  let simulateScheduleMs = 0;
  if (!/^(off|false|no|0|none)$/i.test(schedule)) {
    const ms = parseDuration(schedule);
    if (ms === undefined || ms < 1000)
      r.problem(`SIMULATE_SCHEDULE=${JSON.stringify(schedule)} must be a duration >= 1s (e.g. 30s) or off`);
    else simulateScheduleMs = ms;
  }
  const systems = list(r, 'SIMULATE_SYSTEMS', SYSTEMS.join(','), SYSTEMS);
  const scenarios = list(r, 'SIMULATE_SCENARIOS', SCENARIOS.join(','), SCENARIOS, true);
  const cfg: ProducerConfig = {
    http,
    stores,
    topic: r.str('RAW_TOPIC', 'logs.raw'),
    // 6,000 lines (~600-900 KB raw) per message. Besides its lines, every message costs CPU in every hop
    // (HTTP and AMQP framing, one state read and one atomic apply whose stats writes grow with distinct
    // labels, not lines). Against 3,000 (with the connector's PREFETCH 2 against 4, so the lines in flight
    // stay the same) it cost ~15% less CPU a line in the gateway, connector, RabbitMQ and Redis
    // (docs/capacity.md). A call still takes ~100 ms, and a redelivery repeats little.
    batchLines: r.int('BATCH_LINES', 6000, 1, 100_000),
    // 1 MiB: RabbitMQ handles messages far larger, but past ~1 MB throughput per message drops and a
    // few long lines must not make one batch dominate a consumer's prefetch.
    batchBytes: r.int('BATCH_BYTES', 1024 * 1024, 1024),
    // 50 ms: senders that post a few hundred lines at a time (shippers flushing often, the bench's
    // freshness run) then make messages several times larger, at a small share of the 1 s a line may
    // take to be seen; a sender waits for its confirm no longer than this plus the publish.
    batchLingerMs: lingerMs(r),
    // 64 MiB: ~600,000 typical lines per request; a larger upload is several requests (the CLI splits
    // files), and a gzip bomb stops here. (Logs compress ~10x, so a full 16 MiB gzip body can exceed it.)
    maxDecompressedBytes: r.int('MAX_DECOMPRESSED_BYTES', 64 * 1024 * 1024, 1024),
    // 16 unconfirmed publishes keep a RabbitMQ channel busy (confirms arrive in ~1 ms batches) while
    // bounding what a failure leaves unconfirmed.
    publishConcurrency: r.int('PUBLISH_CONCURRENCY', 16, 1, 1024),
    // 5M lines: about a minute of publishing at broker speed; longer runs should be several requests.
    maxSimulationLines: r.int('MAX_SIMULATION_LINES', 5_000_000, 1),
    // `publish: false` previews come back in the response body, so keep them small.
    maxPreviewLines: r.int('MAX_PREVIEW_LINES', 10_000, 1),
    // 100,000 records: the Collector's batch processor sends 8,192 by default and Promtail 1 MiB
    // (~10,000 lines); the bound keeps one request's decoded records to tens of MB.
    ingestMaxRecords: r.int('INGEST_MAX_RECORDS', 100_000, 1),
    attributes: {
      // 64: parse-log keeps at most 64 fields per event, so more would be dropped silently there.
      maxAttributes: r.int('MAX_ATTRIBUTES', 64, 1, 10_000),
      // 1 KiB names: Loki's own default for a label name (max_label_name_length).
      maxNameBytes: r.int('MAX_ATTRIBUTE_NAME_BYTES', 1024, 1),
      // 32 KiB values: a Java stack trace in `exception.stacktrace` fits; parse-log cuts lines at 64 KiB.
      maxValueBytes: r.int('MAX_ATTRIBUTE_VALUE_BYTES', 32 * 1024, 1),
    },
    simulateScheduleMs,
    // 2,000 lines per 30 s tick: a steady ~70 lines/s, visible on the dashboard without loading a laptop.
    simulateLines: r.int('SIMULATE_LINES', 2_000, 1, 1_000_000),
    simulateRate: r.num('SIMULATE_RATE', 100, 0.001, 10_000_000),
    simulateSystems: systems as SystemName[],
    simulateScenarios: scenarios as ScenarioName[],
    // One anomaly every 10 ticks (5 min at 30 s) keeps anomalies rare, as in real traffic.
    simulateScenarioEvery: r.int('SIMULATE_SCENARIO_EVERY', 10, 1),
    simulateSeed: r.int('SIMULATE_SEED', 1),
    multiline: readMultilineConfig(r),
    // 3 s: a program writing a trace flushes it within milliseconds and a shipper sends its buffer every
    // second or so, so a trace's next part arrives well inside it; a held trace waits at most this long
    // (plus one sweep) to be seen.
    multilineFlushMs: r.duration('MULTILINE_FLUSH', 3000),
  };
  r.done();
  return Object.freeze(cfg);
}

/** BATCH_LINGER, up to 10 s: a sender waits that long for its answer, so more is a mistake. */
function lingerMs(r: EnvReader): number {
  const ms = r.duration('BATCH_LINGER', 50);
  if (ms <= 10_000) return ms;
  r.problem(`BATCH_LINGER=${ms}ms must be at most 10s (0 switches it off)`);
  return 50;
}

/** How often a replica sweeps for held-back tails that fell due: every second, or faster for a short flush. */
export function tailSweepMs(config: Pick<ProducerConfig, 'multilineFlushMs'>): number {
  return Math.max(50, Math.min(1000, Math.floor(config.multilineFlushMs / 2)));
}

function list(
  r: EnvReader,
  key: string,
  def: string,
  allowed: readonly string[],
  allowEmpty = false,
): string[] {
  const raw = r.str(key, def).trim();
  if (allowEmpty && /^(|none|off)$/i.test(raw)) return [];
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((s) => !allowed.includes(s));
  if (bad.length || items.length === 0)
    r.problem(`${key}=${JSON.stringify(raw)} must be a comma-separated list of ${allowed.join(', ')}`);
  return bad.length || items.length === 0 ? (allowEmpty ? [] : [...allowed]) : items;
}

/**
 * The simulation run by schedule tick `tick` (0, 1, 2, ...): normal traffic, and on every Nth tick
 * the next scenario of the rotation, placed in the middle of the tick. The seed changes per tick so
 * ticks do not repeat; startTime is left to the caller (the producer stamps it with its clock).
 */
export function scheduledSimulation(config: ProducerConfig, tick: number): SimulationRequest {
  const req: SimulationRequest = {
    systems: [...config.simulateSystems],
    lines: config.simulateLines,
    rate: config.simulateRate,
    seed: config.simulateSeed + tick,
  };
  const every = config.simulateScenarioEvery;
  if (config.simulateScenarios.length > 0 && tick % every === every - 1) {
    const name = config.simulateScenarios[Math.floor(tick / every) % config.simulateScenarios.length];
    req.scenarios = [{ name }];
  }
  return req;
}

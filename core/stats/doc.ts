// The stats document (schema 1) that GET /function/stats returns. Documented in docs/stats.md.
// Times: `t` in series and *_ms fields are epoch ms; *_at / *_seen fields are ISO 8601 UTC.
import type { AnomalyResult } from '../event.js';
import type { Incident } from '../incident.js';
import type { Mute } from '../mutes/mute.js';

export type { Incident };

export const STATS_SCHEMA = 1 as const;

export interface Percentiles {
  /** Latency samples the percentiles were computed from. */
  count: number;
  mean_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

export interface EndpointLatency extends Percentiles {
  /** `METHOD /path` with ids masked, e.g. `GET /users/:id`. */
  endpoint: string;
  /** 5xx responses in the window. */
  errors: number;
}

export interface ThroughputPoint {
  /** Start of the slot, epoch ms. */
  t: number;
  events: number;
  anomalies: number;
}

export interface LatencyPoint {
  t: number;
  count: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

export interface TemplateStat {
  id: string;
  template: string;
  source: string;
  count: number;
  /** count / events with a template in the window (0..1). */
  share: number;
  first_seen: string;
  last_seen: string;
}

export interface RecentAnomaly {
  timestamp: string;
  source: string;
  level: string;
  message: string;
  score: number;
  detector: string;
  reasons: string[];
  /** The whole AnomalyResult as stored (message and raw capped at 4096 chars). */
  result: AnomalyResult;
}

export interface QueueHealth {
  name: string;
  messages: number | null;
  consumers: number | null;
}

export interface StatsDoc {
  schema: typeof STATS_SCHEMA;
  generated_at: string;
  /** Whole minutes ending at generated_at (above 1 h, from a ten-minute boundary); from/to are epoch ms. */
  window: { ms: number; from: number; to: number };
  /** All-time events processed (integer). */
  total: number;
  /** All-time anomalies detected (integer). */
  anomalies: number;
  /** anomalies / total, 0..1; 0 when total is 0. */
  anomaly_rate: number;
  /** All-time messages the connector dead-lettered. */
  dead_lettered: number;
  /** Counts inside the window (the breakdowns below add up to window.events). */
  in_window: { events: number; anomalies: number; anomaly_rate: number };
  by_level: Record<string, number>;
  by_source: Record<string, number>;
  by_status_class: Record<string, number>;
  throughput: {
    /** Average over the window. */
    per_second: number;
    per_minute: number;
    /** Width of one series slot in seconds (1 for windows up to 15 min, else 60 or more). */
    step_s: number;
    series: ThroughputPoint[];
  };
  latency: Percentiles & {
    step_s: number;
    series: LatencyPoint[];
    /** Slowest first (by p95, then p99); at most 20. */
    endpoints: EndpointLatency[];
  };
  /** Busiest first; at most 10. */
  templates: TemplateStat[];
  /** Newest first; at most 50. */
  recent_anomalies: RecentAnomaly[];
  /**
   * Incidents (core/incident.ts) of every source, open and recently closed, newest (last event time)
   * first; at most 50, each with up to 5 example lines (`?incident=ID` returns one).
   */
  incidents: Incident[];
  /** Active operator mutes (core/mutes), newest first: their templates are counted, never reported. */
  mutes: Mute[];
  storage: {
    kind: string;
    used_bytes: number | null;
    persisted_bytes: number | null;
    keys: number | null;
  };
  /** From core/model-status.ts when available, else []. */
  model: unknown[];
  pipeline: {
    /** `ok` when every queue answered, `unreachable` when the broker did not, `unknown` without a broker. */
    status: 'ok' | 'unreachable' | 'unknown';
    queues: QueueHealth[];
    dead_lettered: number;
  };
  /** Time readStats took, ms. */
  took_ms: number;
}

// The stats key layout in the KV (keys are relative; the KV adds its namespace prefix), with the TTL or
// cap that bounds each one. Written by statsWrites (record.ts), read by readStats (read.ts).
// Documented in docs/stats.md; change both together.
import { slotTag } from '../kv/slots.js';

export const SECOND_MS = 1000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
/** Longest window readStats answers for. */
export const MAX_WINDOW_MS = 24 * HOUR_MS;

export const KEYS = {
  /**
   * All-time counters hash. Fields: `total`, `anomalies`, `lv|<level>`, `st|<class>`, and
   * `dead_lettered` (a fallback for the dead-letter count when the broker cannot be asked; the stats
   * document prefers the dead-letter queue's depth). Bounded: levels and status classes are fixed sets.
   */
  counters: 'stats:counters',
  /** Capped list of AnomalyResult JSON, newest first (LPUSH + LTRIM to RECENT_ANOMALIES_CAP). */
  recentAnomalies: 'stats:anomalies:recent',
} as const;

/** Fallback dead-letter count in KEYS.counters, used when the broker's queue depth is unavailable. */
export const DEAD_LETTERED_FIELD = 'dead_lettered';

/**
 * The time-bucket keys below carry their epoch hour as a hash tag (`stats:m:{h490000}:29400000`), so the
 * buckets one batch writes (its events' hour at every resolution, and their by-source twins) share one
 * Redis Cluster slot; only the all-time KEYS above live elsewhere.
 */
const hourTag = (hour: number): string => slotTag(`h${Math.floor(hour)}`);

/**
 * Per-second throughput packed one hash per minute: fields `n|<second 0-59>` events, `a|<second>` anomalies.
 * Feeds the events/s chart for windows up to 15 min (at most 16 hashes, not 900 keys).
 */
export const secondsKey = (minute: number): string => `stats:ss:${hourTag(minute / 60)}:${minute}`;
/**
 * Per-minute throughput packed one hash per hour: fields `n|<minute 0-59>`, `a|<minute>`. Feeds the chart
 * for longer windows (24 h is 25 hashes, not 1440 keys).
 */
export const minutesKey = (hour: number): string => `stats:sm:${hourTag(hour)}`;
/**
 * Aggregate hashes at two resolutions, with the same fields (see FIELDS): counts, level, source and status
 * breakdowns, the overall latency histogram and per-endpoint histograms. Stored only as their by-source
 * twins (isAggregateKey below); these names are what the twins are named after. A window is read as whole
 * ten-minute blocks, then minutes at its leading edge (windows above 1 h start on a ten-minute boundary and
 * read no minutes): 24 h is 145 blocks, 1 h at most 7 + 9 hashes. Hour aggregates (`stats:h:`) are no
 * longer written: every batch wrote its ~100-field aggregate a third time for them, while the stats replica
 * reads a closed block once and keeps it (bucket-cache.ts). Hashes left from before expire on their TTL.
 */
export const minuteKey = (min: number): string => `stats:m:${hourTag(min / 60)}:${min}`;
export const tenMinuteKey = (ten: number): string => `stats:x:${hourTag(ten / 6)}:${ten}`;
/**
 * Whether a key is a minute or ten-minute aggregate: these are written as their by-source twins only
 * (bySourceKey), and a view of every source reads the twin summed over all of its sources. Writing the
 * whole beside it doubled every aggregate field of every batch (~240 of a 2,000-line batch's ~880 writes).
 */
export const isAggregateKey = (key: string): boolean =>
  key.startsWith('stats:m:') || key.startsWith('stats:x:');
/**
 * Per-minute overall latency histograms packed one hash per hour: fields `<minute 0-59>|<bucket>`. Feeds the
 * per-minute latency chart of windows up to 1 h (two small hashes instead of 60 full minute hashes).
 */
export const latencyMinutesKey = (hour: number): string => `stats:lm:${hourTag(hour)}`;
/**
 * Per-hour template hash: `<id>|n` count, `<id>|f` first seen, `<id>|l` last seen, `<id>|i` `<source>|<text>`
 * (hashes written before that field existed hold `<id>|t` text and `<id>|s` source; readers take both).
 */
export const TEMPLATE_HOUR_PREFIX = 'stats:t:';
export const templateHourKey = (hour: number): string => `${TEMPLATE_HOUR_PREFIX}${hourTag(hour)}`;

/**
 * The by-source twin of a throughput, aggregate or latency-minute key (same TTL): the same fields per
 * source, as `<source>|<field>` (a label never holds `|`), for views of one source or of real logs only.
 * Each hash is capped at CAPS.bySourceFields fields.
 */
export const bySourceKey = (key: string): string => `stats:src:${key.slice('stats:'.length)}`;

/** Field names inside the minute/hour aggregate hashes. `|` never occurs inside a label (labels.ts strips it). */
export const FIELDS = {
  events: 'n',
  anomalies: 'a',
  level: (l: string) => `lv|${l}`,
  status: (c: string) => `st|${c}`,
  source: (s: string) => `src|${s}`,
  /** Latency count: no longer written (it is the sum of the `l|` buckets); old hashes may hold it, readers ignore it. */
  latCount: 'ln',
  latSum: 'ls',
  latBucket: (b: number) => `l|${b}`,
  /** Endpoint latency count: no longer written (the sum of its `h|` buckets); readers ignore it. */
  epCount: (ep: string) => `ep|${ep}|n`,
  epSum: (ep: string) => `ep|${ep}|s`,
  epErrors: (ep: string) => `ep|${ep}|x`,
  /** Endpoint histogram bucket at ENDPOINT_PER_OCTAVE resolution (`h` for half the overall resolution). */
  epBucket: (ep: string, b: number) => `ep|${ep}|h|${b}`,
} as const;

export const TTL = {
  /** Seconds are only read for windows up to 15 min; 1 h leaves slack for clock skew and late readers. */
  second: HOUR_MS,
  /** Minute aggregate hashes are read for windows up to 1 h only; 2 h leaves slack. */
  minute: 2 * HOUR_MS,
  /** Ten-minute hashes answer every window above 1 h: 24 h plus the partial block at each end, with slack. */
  tenMinute: 25 * HOUR_MS,
  /** Hashes packed per hour (per-minute throughput, templates): 24 h window plus the partial hour at each end. */
  hour: 26 * HOUR_MS,
  /** Packed per-minute latency: read for windows up to 1 h only. */
  latencyMinutes: 2 * HOUR_MS,
} as const;

export const CAPS = {
  /** Recent anomalies kept (the dashboard shows 50; 200 leaves room for paging and investigation). */
  recentAnomalies: 200,
  /** Characters of message/raw kept per stored anomaly, so one huge line cannot bloat the list. */
  anomalyTextChars: 4096,
  /** Endpoints recorded per batch (busiest first); the rest are counted under OTHER_LABEL. */
  endpointsPerBatch: 50,
  /** Sources recorded per batch (busiest first); the rest are counted under OTHER_LABEL. */
  sourcesPerBatch: 20,
  /** Templates recorded per batch (busiest first); the rest are counted under OTHER_LABEL. */
  templatesPerBatch: 100,
  /** Characters of template text stored. */
  templateTextChars: 300,
  // Per-batch caps do not bound a bucket hash across batches: a scanner hitting random paths adds up to 50
  // new endpoints (several fields each) per batch to every minute and ten-minute hash. The caps below bound
  // the hash itself (KV hincrbyCapped/hsetCapped: atomic, so concurrent replicas cannot overshoot): a
  // labelled field that is not there yet is created only while the hash has fewer fields than the cap;
  // otherwise its increment goes to the same field under OTHER_LABEL, so totals still add up and readers
  // need nothing new. (Aggregates of the whole, no longer written, had caps of their own: 2,000 endpoint
  // and 2,500 source fields.)
  /**
   * Template hour hash: a template's count field `<id>|n` is created while the hash has fewer than 4,000
   * fields (about 1,000 templates an hour, 4 fields each); its `|f`, `|i`, `|l` fields get TEMPLATE_SLACK
   * more, so a template whose count was admitted always gets its first-seen, text and last-seen too.
   * Worst case: 4,000 + 3 + the 4 `(other)` fields.
   */
  templateHourFields: 4000,
  /**
   * Fields of a by-source hash (bySourceKey): a source's share of an aggregate hash is what the hash holds
   * for a batch of its own (a busy web source with 50 endpoints ~600 fields an hour; a packed per-minute
   * latency hash up to ~1,800), so 6,000 keeps several busy sources whole; past it a new field lands under
   * `(other)|<field>`, shown in no single source's view. Worst case about 6,230 fields (the cap plus that
   * fixed overflow set).
   */
  bySourceFields: 6000,
} as const;

/** Extra room for a template's other fields after its count field (see CAPS.templateHourFields). */
export const TEMPLATE_SLACK = 3;

/** Label that absorbs whatever a per-batch or per-hash cap cut off, so totals still add up. */
export const OTHER_LABEL = '(other)';

/**
 * Template ids that are not templates: the counts a cap folded together, kept apart by cap so the
 * dashboard can say which one was hit (OTHER_LABEL: the hour hash was full; hashes written before the
 * batch id existed hold both under it).
 */
export const CAP_TEMPLATE_IDS = { batch: '(other:batch)', hour: OTHER_LABEL } as const;

export const secondOf = (ms: number): number => Math.floor(ms / SECOND_MS);
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS);
export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS);
export const tenMinuteOf = (ms: number): number => Math.floor(ms / (10 * MINUTE_MS));

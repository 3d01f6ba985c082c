// What every simulated system provides: lines for normal traffic and for each kind of injected anomaly.
// A model owns its Rng, so systems draw independent streams and stay deterministic per seed.

export type SystemName = 'web' | 'api' | 'db';
export const SYSTEMS: readonly SystemName[] = ['web', 'api', 'db'];

export interface SystemModel {
  /** Endpoint (or query) names a latency spike can hit; the spike picks one by seed. */
  readonly spikeTargets: readonly string[];
  /** True when the last normal() line was on the spiked target and got its latency multiplied. */
  spiked: boolean;
  /** A normal line; when `spikeTarget` is set, that endpoint's latency is multiplied by `spikeFactor`. */
  normal(ts: number, spikeTarget: string | null, spikeFactor: number): string;
  /** A server-side failure (5xx, ERROR) of the kind a burst is made of. */
  error(ts: number): string;
  /** A probe by a scanner: odd paths, 404s, scanner user agents, unknown users. */
  scan(ts: number): string;
  /** A message whose template never occurs in normal traffic. */
  novel(ts: number): string;
}

/** Latency text with one decimal (API and DB write milliseconds like `12.3`). */
export const ms1 = (x: number): string => (Math.round(x * 10) / 10).toFixed(1);

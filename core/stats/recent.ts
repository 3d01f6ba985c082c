// The recent-anomalies list of the stats document (pure): stored entries parsed, newest events first.
import type { AnomalyResult } from '../event.js';
import type { RecentAnomaly } from './doc.js';

/**
 * By event time, newest first (the list is kept in detection order, and the dashboard shows event time);
 * a timestamp that does not parse goes last; ties keep detection order.
 */
export function newestEventsFirst(list: RecentAnomaly[]): RecentAnomaly[] {
  const t = (a: RecentAnomaly) => {
    const ms = Date.parse(a.timestamp);
    return Number.isFinite(ms) ? ms : -Infinity;
  };
  return list
    .map((a, i) => ({ a, i, t: t(a) }))
    .sort((x, y) => y.t - x.t || x.i - y.i)
    .map((x) => x.a);
}

export function parseAnomalies(items: string[]): RecentAnomaly[] {
  const out: RecentAnomaly[] = [];
  for (const s of items) {
    try {
      const r = JSON.parse(s) as AnomalyResult;
      const e = r.event;
      out.push({
        timestamp: String(e.timestamp),
        source: String(e.source),
        level: String(e.level),
        message: String(e.message),
        score: Number(r.score) || 0,
        detector: String(r.detector),
        reasons: Array.isArray(r.reasons) ? r.reasons.map(String) : [],
        result: r,
      });
    } catch {
      // A corrupt entry is skipped; the list is capped so it ages out.
    }
  }
  return out;
}

// Which lines an incident's context shows (pure): the window, the marks, the cut of a long incident.
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../core/incident.js';
import type { Hit } from '../../core/search/query.js';
import { contextWindow, isIncidentLine, MAX_MARKED_SHOWN } from './context.js';

const T0 = Date.UTC(2026, 11, 7, 12);
const line = (i: number, templateId = 'tOk', level = 'info'): Hit => ({
  source: 'api',
  ts: T0 + i * 1000,
  level,
  templateId,
  raw: `line ${i}`,
});
const incident = (o: Partial<Incident>): Incident => ({
  id: 'a1',
  source: 'api',
  kind: 'count_spike',
  templateId: 'tErr',
  firstTs: new Date(T0).toISOString(),
  lastTs: new Date(T0 + 10_000_000).toISOString(),
  count: 1,
  reasons: [],
  examples: [],
  status: 'open',
  updatedAt: T0,
  ...o,
});

describe('incident context', () => {
  it('keeps n lines each side and cuts the middle of a long incident to its first and last halves', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => line(i, i >= 100 && i < 1100 ? 'tErr' : 'tOk'));
    const r = contextWindow(incident({}), lines, 10, 10_000);
    const marked = r.lines.filter((l) => l.anomalous);
    expect(marked.length).toBe(MAX_MARKED_SHOWN);
    expect(r.omitted).toBe(1000 - MAX_MARKED_SHOWN);
    expect(r.lines[0].raw).toBe('line 90');
    expect(r.lines.at(-1)?.raw).toBe('line 1109');
    expect(marked[MAX_MARKED_SHOWN / 2 - 1].raw).toBe('line 299');
    expect(marked[MAX_MARKED_SHOWN / 2].raw).toBe('line 900');
    // No unmarked line from the cut part sneaks in.
    expect(r.lines.length).toBe(MAX_MARKED_SHOWN + 20);
  });

  it('marks error lines for error_rate and example lines for event anomalies', () => {
    const inc = incident({ kind: 'error_rate', templateId: undefined });
    expect(isIncidentLine(inc, line(5, 'x', 'error'), 10_000)).toBe(true);
    expect(isIncidentLine(inc, line(5, 'x', 'info'), 10_000)).toBe(false);
    const ev = incident({ kind: 'event_anomaly', examples: ['line 7'] });
    expect(isIncidentLine(ev, line(7), 10_000)).toBe(true);
    expect(isIncidentLine(ev, line(8), 10_000)).toBe(false);
  });

  it('places the window at the incident time when none of its lines is kept', () => {
    const lines = Array.from({ length: 100 }, (_, i) => line(i));
    const r = contextWindow(incident({ firstTs: new Date(T0 + 50_000).toISOString() }), lines, 3, 10_000);
    expect(r.kept).toBe(false);
    expect(r.lines.map((l) => l.raw)).toEqual([
      'line 47',
      'line 48',
      'line 49',
      'line 50',
      'line 51',
      'line 52',
    ]);
  });
});

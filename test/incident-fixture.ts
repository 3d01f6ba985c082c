// An incident as detect-anomaly stores it, for tests of its readers (notify, the change contract).
import type { Incident } from '../core/incident.js';

export function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'abc123',
    source: 'web',
    kind: 'error_rate',
    templateId: 't1',
    template: 'GET <*> HTTP/1.1 <*>',
    firstTs: '2026-12-07T06:00:00.000Z',
    lastTs: '2026-12-07T06:01:00.000Z',
    count: 40,
    actual: 0.4,
    typical: 0.02,
    reasons: ['error rate 40.0% (40 errors in the bucket), typical 2.0%'],
    examples: ['2026-12-07 06:00:01 ERROR upstream timed out'],
    status: 'open',
    updatedAt: Date.parse('2026-12-07T06:01:05.000Z'),
    ...over,
  };
}

// Small builders of LogEvent/AnomalyResult values for the stats tests and the dashboard browser test.
import type { AnomalyResult, LogEvent } from '../event.js';

export function sampleEvent(over: Partial<LogEvent> = {}): LogEvent {
  return {
    v: 1,
    timestamp: '2026-11-28T12:00:00.000Z',
    source: 'web',
    level: 'info',
    message: 'GET /users/1 200',
    format: 'combined',
    templateId: 'T1',
    template: 'GET /users/<*> <*>',
    params: ['1', '200'],
    raw: 'GET /users/1 200',
    ...over,
  };
}

export function httpEvent(
  method: string,
  path: string,
  status: number,
  latencyMs: number,
  over: Partial<LogEvent> = {},
): LogEvent {
  return sampleEvent({
    message: `${method} ${path} ${status} ${latencyMs}ms`,
    raw: `${method} ${path} ${status} ${latencyMs}ms`,
    level: status >= 500 ? 'error' : 'info',
    http: { method, path, status, latency_ms: latencyMs },
    ...over,
  });
}

export function anomalyOf(event: LogEvent, score = 0.9, reasons = ['rare template']): AnomalyResult {
  return { event, score, detector: 'model', reasons, modelVersion: 1 };
}

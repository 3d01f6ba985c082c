import { describe, expect, it } from 'vitest';
import { incident } from '../../test/incident-fixture.js';
import { toAlert } from './alert.js';

const now = Date.parse('2026-12-07T06:05:00.000Z');
const o = { dashboardUrl: 'http://dash:5000', now };

describe('toAlert', () => {
  it('maps an open incident: identifying labels, readable annotations, no endsAt', () => {
    expect(toAlert(incident(), o)).toEqual({
      labels: {
        alertname: 'LogAnomaly',
        source: 'web',
        kind: 'error_rate',
        template_id: 't1',
        incident_id: 'abc123',
      },
      annotations: {
        summary: 'GET <*> HTTP/1.1 <*>',
        description: 'error rate 40.0% (40 errors in the bucket), typical 2.0%',
        count: '40',
        dashboard: 'http://dash:5000/#incident=abc123',
        example_1: '2026-12-07 06:00:01 ERROR upstream timed out',
      },
      startsAt: '2026-12-07T06:00:00.000Z',
      generatorURL: 'http://dash:5000/#incident=abc123',
    });
  });

  const long = 'x'.repeat(800);
  const table: [string, Parameters<typeof incident>[0], (a: ReturnType<typeof toAlert>) => void][] = [
    [
      'closed: endsAt now, which resolves it',
      { status: 'closed' },
      (a) => expect(a.endsAt).toBe(new Date(now).toISOString()),
    ],
    [
      'whole-source incident: no template_id label, summary names kind and source',
      { templateId: undefined, template: undefined, kind: 'count_spike' },
      (a) => {
        expect(a.labels.template_id).toBeUndefined();
        expect(a.annotations.summary).toBe('count spike in web');
      },
    ],
    [
      'at most 5 examples, each cut at 500 characters',
      { examples: [long, 'b', 'c', 'd', 'e', 'f'] },
      (a) => {
        expect(Object.keys(a.annotations).filter((k) => k.startsWith('example_'))).toHaveLength(5);
        expect(a.annotations.example_1).toHaveLength(500);
        expect(a.annotations.example_1.endsWith('…')).toBe(true);
      },
    ],
    [
      'reasons become one description, one per line',
      { reasons: ['count spike: 900 lines per 60 s, typical ~30 (30x)', 'template "a": 800 lines'] },
      (a) =>
        expect(a.annotations.description).toBe(
          'count spike: 900 lines per 60 s, typical ~30 (30x)\ntemplate "a": 800 lines',
        ),
    ],
    [
      'an event time ahead of the clock does not start the alert in the future',
      { firstTs: '2027-01-01T00:00:00.000Z' },
      (a) => expect(a.startsAt).toBe(new Date(now).toISOString()),
    ],
    [
      'a bad event time starts it now',
      { firstTs: 'garbage' },
      (a) => expect(a.startsAt).toBe(new Date(now).toISOString()),
    ],
  ];
  it.each(table)('%s', (_name, over, check) => check(toAlert(incident(over), o)));
});

import { describe, expect, it } from 'vitest';
import type { Incident } from '../../core/incident.js';
import { incident } from '../../test/incident-fixture.js';
import { type Outcome, plan, rateAllows, type SentRecord, settle, transitionOf } from './plan.js';

const rec = (over: Partial<SentRecord> = {}): SentRecord => ({
  state: 'open',
  transition: 'opened',
  count: 40,
  templates: 1,
  pending: [],
  incident: incident(),
  at: 0,
  ...over,
});

describe('transitionOf', () => {
  const table: [string, SentRecord | undefined, Partial<Incident>, string | null][] = [
    ['new open incident: opened', undefined, {}, 'opened'],
    ['closed before anything was announced: silent', undefined, { status: 'closed' }, null],
    ['announced, a few more lines: nothing material', rec(), { count: 60 }, null],
    ['announced, lines doubled: updated', rec(), { count: 80 }, 'updated'],
    ['announced, a template joined: updated', rec(), { templateIds: ['t1', 't2'] }, 'updated'],
    ['announced, now closed: closed', rec(), { status: 'closed' }, 'closed'],
    [
      'closing announced already: nothing',
      rec({ state: 'closed', transition: 'closed' }),
      { status: 'closed' },
      null,
    ],
  ];
  it.each(table)('%s', (_n, r, over, want) => expect(transitionOf(r, incident(over), 2)).toBe(want));
});

describe('rateAllows', () => {
  const table: [string, 'opened' | 'updated' | 'closed', number, number, boolean][] = [
    ['opened under the limit', 'opened', 9, 10, true],
    ['opened at the limit: held', 'opened', 10, 10, false],
    ['updated at the limit: held', 'updated', 12, 10, false],
    ['closed at the limit: always (it resolves what was announced)', 'closed', 50, 10, true],
  ];
  it.each(table)('%s', (_n, t, used, limit, ok) => expect(rateAllows(t, used, limit)).toBe(ok));
});

describe('plan', () => {
  const base = { targets: ['alertmanager', 'webhook:a'], used: 0, limit: 10, updateFactor: 2, now: 1000 };

  it('announces a new incident to every target and charges the rate window', () => {
    const p = plan({ ...base, current: [incident()], records: new Map() });
    expect(p.sends).toEqual([
      { incident: incident(), transition: 'opened', targets: ['alertmanager', 'webhook:a'] },
    ]);
    expect(p.charged).toBe(1);
    expect(p.records.get('abc123')).toMatchObject({
      state: 'open',
      count: 40,
      pending: ['alertmanager', 'webhook:a'],
    });
  });

  it('sends nothing for an incident that has not changed materially', () => {
    const p = plan({ ...base, current: [incident({ count: 41 })], records: new Map([['abc123', rec()]]) });
    expect(p.sends).toEqual([]);
    expect(p.charged).toBe(0);
  });

  it('resends only to the targets still owed (a retry after a partial failure)', () => {
    const p = plan({
      ...base,
      current: [incident()],
      records: new Map([['abc123', rec({ pending: ['webhook:a'] })]]),
    });
    expect(p.sends.map((s) => [s.transition, s.targets])).toEqual([['opened', ['webhook:a']]]);
    expect(p.charged).toBe(0);
  });

  it('holds new incidents past the rate limit, oldest announced first, and never holds a closing', () => {
    const current = [
      incident({ id: 'c', firstTs: '2026-12-07T06:03:00.000Z' }),
      incident({ id: 'a', firstTs: '2026-12-07T06:01:00.000Z' }),
      incident({ id: 'b', firstTs: '2026-12-07T06:02:00.000Z' }),
      incident({ id: 'z', status: 'closed' }),
    ];
    const p = plan({
      ...base,
      limit: 2,
      current,
      records: new Map([['z', rec({ incident: incident({ id: 'z' }) })]]),
    });
    expect(p.sends.map((s) => `${s.incident.id}:${s.transition}`)).toEqual([
      'z:closed',
      'a:opened',
      'b:opened',
    ]);
    expect(p.held).toBe(1);
    expect(p.charged).toBe(2);
    expect(p.records.has('c')).toBe(false);
  });

  it('forgets targets removed from the config', () => {
    const p = plan({
      ...base,
      targets: ['alertmanager'],
      current: [incident()],
      records: new Map([['abc123', rec({ pending: ['webhook:gone'] })]]),
    });
    expect(p.sends).toEqual([]);
    expect(p.records.get('abc123')?.pending).toEqual([]);
  });
});

describe('settle', () => {
  const outcomes = (o: Record<string, Record<string, Outcome>>) =>
    new Map(Object.entries(o).map(([id, m]) => [id, new Map(Object.entries(m))]));
  const table: [string, SentRecord, Record<string, Outcome>, string[] | 'forgotten'][] = [
    [
      'all delivered: owed nothing',
      rec({ pending: ['alertmanager', 'webhook:a'] }),
      { alertmanager: 'ok', 'webhook:a': 'ok' },
      [],
    ],
    [
      'a receiver down: still owed',
      rec({ pending: ['alertmanager', 'webhook:a'] }),
      { alertmanager: 'ok', 'webhook:a': 'retry' },
      ['webhook:a'],
    ],
    [
      'a receiver refused it (4xx): not owed any more',
      rec({ pending: ['webhook:a'] }),
      { 'webhook:a': 'drop' },
      [],
    ],
    ['not tried this round: still owed', rec({ pending: ['webhook:a'] }), {}, ['webhook:a']],
    [
      'closing delivered: forgotten',
      rec({ state: 'closed', pending: ['alertmanager'] }),
      { alertmanager: 'ok' },
      'forgotten',
    ],
    [
      'closing not delivered: kept',
      rec({ state: 'closed', pending: ['alertmanager'] }),
      { alertmanager: 'retry' },
      ['alertmanager'],
    ],
  ];
  it.each(table)('%s', (_n, r, o, want) => {
    const out = settle(new Map([['abc123', r]]), outcomes({ abc123: o }));
    if (want === 'forgotten') expect(out.has('abc123')).toBe(false);
    else expect(out.get('abc123')?.pending).toEqual(want);
  });
});

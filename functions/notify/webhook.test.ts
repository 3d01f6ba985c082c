import { describe, expect, it } from 'vitest';
import { incident } from '../../test/incident-fixture.js';
import { sign, verify, webhookBody } from './webhook.js';

const o = { dashboardUrl: 'http://dash:5000' };

describe('webhookBody', () => {
  it('carries the incident with its example lines, its state and the dashboard link', () => {
    const b = webhookBody(incident(), 'opened', o);
    expect(b).toMatchObject({ version: 1, state: 'opened', dashboard: 'http://dash:5000/#incident=abc123' });
    expect(b.incident.examples).toEqual(['2026-12-07 06:00:01 ERROR upstream timed out']);
    expect(b.incident.id).toBe('abc123');
  });

  const table: [string, Parameters<typeof incident>[0], string, (text: string) => void][] = [
    [
      'Slack text: headline, summary, reason, example, link',
      {},
      'opened',
      (t) =>
        expect(t).toBe(
          [
            '*[LogAnomaly opened] web · error_rate · 40 lines*',
            'GET &lt;*&gt; HTTP/1.1 &lt;*&gt;',
            '• error rate 40.0% (40 errors in the bucket), typical 2.0%',
            '> 2026-12-07 06:00:01 ERROR upstream timed out',
            '<http://dash:5000/#incident=abc123|open in the dashboard>',
          ].join('\n'),
        ),
    ],
    [
      'log text cannot make a link or a mention (&, <, > escaped)',
      { examples: ['<!channel> <http://evil|click> a&b'] },
      'updated',
      (t) => expect(t).toContain('> &lt;!channel&gt; &lt;http://evil|click&gt; a&amp;b'),
    ],
    [
      'closed says so',
      { status: 'closed', count: 1 },
      'closed',
      (t) => expect(t.split('\n')[0]).toBe('*[LogAnomaly closed] web · error_rate · 1 line*'),
    ],
  ];
  it.each(table)('%s', (_n, over, state, check) =>
    check(webhookBody(incident(over), state as 'opened', o).text),
  );

  it('cuts example lines at 500 characters and keeps at most 5', () => {
    const b = webhookBody(
      incident({ examples: Array.from({ length: 7 }, () => 'y'.repeat(900)) }),
      'opened',
      o,
    );
    expect(b.incident.examples).toHaveLength(5);
    expect(b.incident.examples.every((l) => l.length === 500)).toBe(true);
  });
});

describe('sign / verify', () => {
  // Fixed vector: HMAC-SHA256("s3cret", "1700000000.{}"), as `printf 1700000000.{} | openssl dgst -sha256 -hmac s3cret` prints it.
  it('signs timestamp and body with HMAC-SHA256', () => {
    expect(sign('s3cret', 1_700_000_000, '{}')).toBe(
      'sha256=97926816e98fbb41ccb1673225ff29a2f35369099990e1b1561651e7bd097ebf',
    );
  });
  const good = sign('k', 1, 'body');
  const table: [string, string, number, string, string, boolean][] = [
    ['the same secret, time and body', 'k', 1, 'body', good, true],
    ['another secret', 'k2', 1, 'body', good, false],
    ['another timestamp (a replay)', 'k', 2, 'body', good, false],
    ['a changed body', 'k', 1, 'body!', good, false],
    ['a truncated signature', 'k', 1, 'body', good.slice(0, 20), false],
  ];
  it.each(table)('verify: %s', (_n, secret, ts, body, sig, ok) =>
    expect(verify(secret, ts, body, sig)).toBe(ok),
  );
});

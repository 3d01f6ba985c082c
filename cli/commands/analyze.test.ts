import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { analyzeCommand } from './analyze.js';
import { parseCommand } from './parse.js';

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {} }, out: () => out, err: () => err };
}

/** 3,000 lines of a small service log with one error, one very slow request and one odd message. */
function sample(): string {
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = new Date(Date.UTC(2026, 0, 5, 10) + i * 1000).toISOString();
    const ms = 20 + ((i * 7919) % 17);
    if (i === 1000) lines.push(`${t} ERROR payment failed for order ${i}: card declined`);
    else if (i === 2000) lines.push(`${t} INFO request GET /api/items took ${ms * 300} ms status 200`);
    else if (i === 2500) lines.push(`${t} INFO kernel: watchdog detected hard LOCKUP on cpu 3`);
    else lines.push(`${t} INFO request GET /api/items took ${ms} ms status 200`);
  }
  return `${lines.join('\n')}\n`;
}

describe('logfaas analyze', () => {
  const dir = mkdtempSync(join(tmpdir(), 'analyze-'));
  const file = join(dir, 'svc.log');
  writeFileSync(file, sample());

  it('--json: one object per input line, in order, flagging only the lines odd on their own', async () => {
    const t = io();
    expect(await analyzeCommand.run(['--json', file], t.io)).toBe(0);
    const rows = t
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBe(3000);
    expect(rows.map((r) => r.line)).toEqual(rows.map((_, i) => i + 1));
    // The one ERROR after 1,000 clean lines; the new template at line 2,501 is an incident, not a flag.
    expect(rows.filter((r) => r.anomaly).map((r) => r.line)).toEqual([1001]);
    expect(rows[1000].reasons).toEqual([
      'level error, unusual for its source (0 errors in 1,000 lines before)',
    ]);
    for (const r of rows) expect(typeof r.score).toBe('number');
  });

  it('--incidents --json: one object per incident, with source, kind, count and reasons', async () => {
    const t = io();
    expect(await analyzeCommand.run(['--incidents', '--json', file], t.io)).toBe(0);
    const incidents = t
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // The new message at line 2,501, the ERROR line's new template (1,001, just past the 1,000-line
    // warm-up) and that line as an anomaly of its own; all closed: the file goes on for more than the quiet
    // period (5 min of its own time) after them.
    expect(incidents.map((x) => [x.kind, x.count, x.status]).sort()).toEqual([
      ['event_anomaly', 1, 'closed'],
      ['new_template', 1, 'closed'],
      ['new_template', 1, 'closed'],
    ]);
    const lockup = incidents[0];
    expect(lockup).toMatchObject({ source: 'svc', kind: 'new_template' });
    expect(lockup.reasons[0]).toBe('1 template never seen before, 1 line');
    expect(lockup.examples[0]).toMatch(/watchdog detected hard LOCKUP/);
    expect(lockup.firstTs).toBe(new Date(Date.UTC(2026, 0, 5, 10) + 2500_000).toISOString());
  });

  it('prints a report, and exits 2 on usage errors and 1 on a missing file', async () => {
    const t = io();
    expect(await analyzeCommand.run([file], t.io)).toBe(0);
    expect(t.out()).toMatch(/3,000 lines/);
    // 3,000 lines fill the reservoir with 512 vectors: the stack would not have trained either.
    expect(t.out()).toMatch(
      /model: not trained \(the stack trains once 1,000 feature vectors are collected\)/,
    );
    expect(t.out()).toMatch(/incidents: 3\n +new_template +1 lines/);
    await expect(analyzeCommand.run([], io().io)).rejects.toThrow(/exactly one FILE/);
    await expect(analyzeCommand.run(['--contamination', '2', file], io().io)).rejects.toThrow(
      /contamination/,
    );
    const m = io();
    expect(await analyzeCommand.run([join(dir, 'nope.log')], m.io)).toBe(1);
    expect(m.err()).toMatch(/cannot read/);
  });

  it('scores a stack trace as one event, reported at its first line', async () => {
    const lines = sample().trimEnd().split('\n');
    lines.splice(1001, 0, 'java.lang.IllegalStateException: card declined', '\tat a.Pay.charge(Pay.java:9)');
    const traced = join(dir, 'traced.log');
    writeFileSync(traced, `${lines.join('\n')}\n`);
    const t = io();
    expect(await analyzeCommand.run(['--json', traced], t.io)).toBe(0);
    const rows = t
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBe(3000);
    expect(rows[1000].line).toBe(1001);
    expect(rows[1001].line).toBe(1004);
    expect(rows.at(-1).line).toBe(3002);
    const flat = io();
    expect(await analyzeCommand.run(['--json', '--no-multiline', traced], flat.io)).toBe(0);
    expect(flat.out().trim().split('\n').length).toBe(3002);
    const report = io();
    expect(await analyzeCommand.run([traced], report.io)).toBe(0);
    expect(report.out()).toMatch(/line 1001 {2}score [\d.]+ {2}\[\w+\] {2}.*level error/);
  });
});

describe('logfaas analyze on real dpkg and apt logs (test/fixtures/dpkg)', () => {
  it.each([
    ['dpkg.log', 2500],
    ['term.log', 1500],
  ])('%s: at most 2%% of lines flagged, the apt runs as a few incidents', async (name, lines) => {
    const t = io();
    const file = join('test/fixtures/dpkg', name);
    expect(await analyzeCommand.run(['--json', file], t.io)).toBe(0);
    const rows = t
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(lines);
    expect(rows.filter((r) => r.anomaly).length).toBeLessThanOrEqual(lines * 0.02);
    const inc = io();
    expect(await analyzeCommand.run(['--incidents', '--json', file], inc.io)).toBe(0);
    const incidents = inc
      .out()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    // dpkg: 9 runs, the first ones the source's warm-up; term.log's 1,500 lines are its warm-up.
    expect(incidents.length).toBeLessThanOrEqual(5);
    for (const x of incidents) expect(x.count).toBeGreaterThan(0);
    // A template is news once: a later apt run using it again is not a new_template incident again.
    const reported = incidents.filter((x) => x.kind === 'new_template').flatMap((x) => x.templateIds);
    expect(reported.length).toBe(new Set(reported).size);
  });

  it('reports each template once, with the lines of the ids merged into it', async () => {
    const t = io();
    expect(await analyzeCommand.run(['test/fixtures/dpkg/dpkg.log'], t.io)).toBe(0);
    const out = t.out();
    const top = out
      .slice(out.indexOf('top 10:'), out.indexOf('\nmodel:'))
      .split('\n')
      .slice(1)
      .map((l) => /^\s+[\d,]+\s+[\d.]+%\s+(.*)$/.exec(l)?.[1]);
    expect(top.length).toBeGreaterThan(3);
    expect(new Set(top).size).toBe(top.length);
    const parsed = io();
    expect(await parseCommand.run(['--templates', 'test/fixtures/dpkg/dpkg.log'], parsed.io)).toBe(0);
    const count = Number(/templates: ([\d,]+)/.exec(out)?.[1].replace(/,/g, ''));
    expect(count).toBe(parsed.out().trim().split('\n').length);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { analyzeCommand } from './analyze.js';

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

  it('--json: one object per input line, in order, flagging the odd lines with reasons', async () => {
    const t = io();
    expect(await analyzeCommand.run(['--json', file], t.io)).toBe(0);
    const rows = t
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.length).toBe(3000);
    expect(rows.map((r) => r.line)).toEqual(rows.map((_, i) => i + 1));
    const flagged = rows.filter((r) => r.anomaly).map((r) => r.line);
    expect(flagged).toContain(1001);
    expect(flagged).toContain(2501);
    expect(rows[1000].reasons).toContain('level error');
    expect(rows[2500].reasons.join(' ')).toMatch(/template seen 1 time in 3,000 events/);
    for (const r of rows) expect(typeof r.score).toBe('number');
    expect(flagged.length).toBeLessThan(40);
  });

  it('prints a report, and exits 2 on usage errors and 1 on a missing file', async () => {
    const t = io();
    expect(await analyzeCommand.run([file], t.io)).toBe(0);
    expect(t.out()).toMatch(/3,000 lines/);
    expect(t.out()).toMatch(/model: Isolation Forest, 100 trees/);
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

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  groupLines,
  type LineRecord,
  MultilineGrouper,
  mayGroup,
  mayGroupBytes,
  splitRecord,
} from './multiline.js';
import { seededRandom } from './random.js';

const fixture = (name: string): string[] =>
  readFileSync(new URL(`../test/fixtures/multiline/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .slice(0, -1);
const sizes = (rs: LineRecord[]): number[] => rs.map((r) => r.lines.length);

describe('groupLines: one record per trace', () => {
  it.each([
    // [fixture, record sizes, first line of the trace record]
    ['java.log', [7, 1], '2024-05-01 12:00:00 ERROR [main] c.e.App - failed'],
    ['python.log', [14, 1], '2024-05-01 12:00:00,123 ERROR app: request failed'],
    ['go.log', [12, 1], 'panic: runtime error: index out of range [3] with length 3'],
  ])('%s', (name, want, first) => {
    const lines = fixture(name);
    const rs = groupLines(lines);
    expect(sizes(rs)).toEqual(want);
    expect(rs[0].lines[0]).toBe(first);
    expect(rs.flatMap((r) => r.lines)).toEqual(lines);
    expect(rs.map((r) => r.first)).toEqual([0, want[0]]);
  });

  it.each([
    ['indented continuation', ['a start', '  more', '\tand more', 'b next'], [3, 1]],
    ['exception alone starts a record', ['java.lang.RuntimeException: x', '\tat a.B.c(B.java:1)'], [2]],
    ['Exception in thread', ['Exception in thread "main" java.lang.Error: x', '\tat a.b()'], [2]],
    ['plain lines stay apart', ['one', 'two', 'three'], [1, 1, 1]],
    ['a blank line is its own record', ['one', '', 'two'], [1, 1, 1]],
    [
      'blank after a traceback, then a log line',
      ['x', 'Traceback (most recent call last):', '  File "a", line 1, in f', 'E: m', '', 'next'],
      [4, 1, 1],
    ],
    [
      'a cut-off traceback does not swallow a log line',
      ['Traceback (most recent call last):', '  File "a", line 1', '2024-01-01 next'],
      [2, 1],
    ],
    ['go: blank then an unrelated line', ['panic: x', '', 'hello'], [1, 1, 1]],
    [
      'go: recovered panic',
      ['panic: a [recovered]', '\tpanic: b', '', 'goroutine 1 [running]:', 'main.f(...)'],
      [5],
    ],
    ['a leading indented line', ['  orphan', 'x'], [1, 1]],
  ])('%s', (_name, lines, want) => {
    const rs = groupLines(lines);
    expect(sizes(rs)).toEqual(want);
    expect(rs.flatMap((r) => r.lines)).toEqual(lines);
  });
});

describe('bounds', () => {
  it('cuts a record past maxLines and flags every part', () => {
    const lines = ['head', ...Array.from({ length: 11 }, (_, i) => `\tat f${i}()`)];
    const rs = groupLines(lines, { maxLines: 5, maxBytes: 1 << 20 });
    expect(sizes(rs)).toEqual([5, 5, 2]);
    expect(rs.every((r) => r.cut)).toBe(true);
    expect(rs.flatMap((r) => r.lines)).toEqual(lines);
  });
  it('cuts a record past maxBytes', () => {
    const lines = ['head', `  ${'x'.repeat(60)}`, `  ${'y'.repeat(60)}`];
    const rs = groupLines(lines, { maxLines: 100, maxBytes: 100 });
    expect(sizes(rs)).toEqual([2, 1]);
    expect(rs[0].cut && rs[1].cut).toBe(true);
  });
  it('splitRecord keeps a joined record to the limits', () => {
    expect(splitRecord('one line')).toEqual({ first: 'one line', cut: false });
    expect(splitRecord('a\r\n\tb\n\tc')).toEqual({ first: 'a', stack: '\tb\n\tc', cut: false });
    expect(splitRecord('a\nb\nc\nd', { maxLines: 3, maxBytes: 100 })).toEqual({
      first: 'a',
      stack: 'b\nc',
      cut: true,
    });
    expect(splitRecord('abc\n0123456789', { maxLines: 10, maxBytes: 8 })).toEqual({
      first: 'abc',
      stack: '0123',
      cut: true,
    });
  });
});

describe('streaming', () => {
  it('gives the same records pushed one line at a time, resumed from a saved state midway', () => {
    const lines = [...fixture('java.log'), ...fixture('python.log'), ...fixture('go.log')];
    const whole = groupLines(lines);
    for (let at = 0; at <= lines.length; at++) {
      const a = new MultilineGrouper();
      const got: LineRecord[] = [];
      for (const l of lines.slice(0, at)) got.push(...a.push(l));
      const saved = JSON.parse(JSON.stringify(a.pending()));
      const b = new MultilineGrouper(undefined, saved);
      for (const l of lines.slice(at)) got.push(...b.push(l));
      got.push(...b.end());
      expect(got).toEqual(whole);
    }
  });
  it('mayGroup: true as soon as one line could open a trace or continue a record', () => {
    expect(mayGroup(['a', 'b', ''])).toBe(false);
    expect(mayGroup(['a', '  b'])).toBe(true);
    expect(mayGroup(['panic: x'])).toBe(true);
    expect(mayGroup(['a', 'Caused by: x'])).toBe(true);
    for (const f of ['java.log', 'python.log', 'go.log']) expect(mayGroup(fixture(f))).toBe(true);
  });
  it('mayContinue: only a record with continuation lines or a trace header', () => {
    const may = (lines: string[]) => {
      const g = new MultilineGrouper();
      for (const l of lines) g.push(l);
      return g.mayContinue();
    };
    expect(may(['a plain line'])).toBe(false);
    expect(may(['x failed', '\tat a.b()'])).toBe(true);
    expect(may(['Traceback (most recent call last):'])).toBe(true);
    expect(may(['panic: boom'])).toBe(true);
    expect(may([])).toBe(false);
  });
});

describe('Loghub-2k', () => {
  it('groups no line of the fixtures: one record per line', () => {
    const dir = new URL('../test/fixtures/loghub/', import.meta.url);
    const logs = readdirSync(dir).filter((f) => f.endsWith('_2k.log'));
    expect(logs.length).toBe(8);
    for (const f of logs) {
      const lines = readFileSync(new URL(f, dir), 'utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      const rs = groupLines(lines);
      expect({ f, records: rs.length }).toEqual({ f, records: lines.length });
      // and the quick scan sees it, so parse-log skips grouping for them altogether
      expect({ f, mayGroup: mayGroup(lines) }).toEqual({ f, mayGroup: false });
      expect({ f, bytes: mayGroupBytes(readFileSync(new URL(f, dir))) }).toEqual({ f, bytes: false });
    }
  });
});

describe('mayGroupBytes: mayGroup without decoding', () => {
  const bytes = (lines: string[]) => new TextEncoder().encode(lines.join('\n'));
  it('is true wherever mayGroup is, and agrees with it on the lines that matter', () => {
    const pieces = [
      ' ',
      '\t',
      'a',
      'Z',
      '_',
      '$',
      '.',
      ':',
      '9',
      'é',
      '\ud83d\ude00',
      '(',
      ' x',
      'java.lang.',
      'com.example.',
      'Exception',
      'Error',
      'Throwable',
      'Exception: boom',
      'Error2',
      'Traceback (most recent call last):',
      'Caused by: ',
      'Suppressed: ',
      'Exception in thread "',
      'panic: ',
      'goroutine 7 [',
      'goroutine x',
      'fatal error: ',
      'Traceback',
      'Caused by',
    ];
    const r = seededRandom(9);
    let both = 0;
    for (let n = 0; n < 20_000; n++) {
      const lines = Array.from({ length: 1 + Math.floor(r() * 3) }, () =>
        Array.from({ length: Math.floor(r() * 4) }, () => pieces[Math.floor(r() * pieces.length)]).join(''),
      );
      const want = mayGroup(lines);
      const got = mayGroupBytes(bytes(lines));
      if (want) expect({ lines, got }).toEqual({ lines, got: true });
      if (want && got) both++;
    }
    expect(both).toBeGreaterThan(1000);
    for (const f of ['java.log', 'python.log', 'go.log']) expect(mayGroupBytes(bytes(fixture(f)))).toBe(true);
    // The few cases the regex rules out and the byte scan does not: a superset, never the other way.
    for (const l of ['goroutine x', 'x.Throwable:'])
      expect([l, mayGroup([l]), mayGroupBytes(bytes([l]))]).toEqual([l, false, true]);
    for (const l of ['java.lang.IllegalStateException: boom', 'a.b.CError', 'x.MyThrowable:', '\tat a.b()'])
      expect([l, mayGroupBytes(bytes(['plain', l]))]).toEqual([l, mayGroup([l])]);
    for (const l of ['a.bError2', 'IllegalStateException: x', 'a.b.CError x', '2024 Caused by: x', ''])
      expect([l, mayGroupBytes(bytes([l, 'plain']))]).toEqual([l, false]);
    // A byte-order mark is not part of the first line, as utf8Lines drops it.
    expect(mayGroupBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x20, 0x61]))).toBe(true);
    expect(mayGroupBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).toBe(false);
  });
});

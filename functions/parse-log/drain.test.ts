import { describe, expect, it } from 'vitest';
import { type StoredCluster, TemplateMiner, toStored } from './drain.js';
import { DEFAULT_LIMITS } from './limits.js';
import { createLineParser } from './pipeline.js';

const parse = (lines: string[]) => {
  const p = createLineParser({ source: 'test', now: () => 0 });
  const events = p.parse(lines);
  const final = events.map((e) => p.miner.canonicalId(e.templateId));
  const text = (i: number) => p.miner.get(final[i])!.text;
  return { events, final, text, miner: p.miner };
};

// Deterministic picks from a list, so the tests read like a real log.
const pick = <T>(xs: readonly T[], i: number) => xs[(i * 7 + 3) % xs.length];

describe('template mining: variables decided from the values seen', () => {
  it('many rare values at a word position make it a variable (package names)', () => {
    const pkgs = Array.from(
      { length: 60 },
      (_, i) => `lib${String.fromCharCode(97 + (i % 26))}pkg-${'xyz'[i % 3]}${Math.floor(i / 26)}`,
    );
    const lines = pkgs.map((p, i) => `Selecting previously unselected package ${p}${i % 2 ? '' : ':amd64'}.`);
    const { final, text } = parse(lines);
    // Every line ends in one template once the evidence is in; early lines keep their id, aliased.
    expect(new Set(final).size).toBe(1);
    expect(text(0)).toBe('Selecting previously unselected package <*>');
  });

  it('a few values that each recur are part of the event (VM Started / Paused / Resumed)', () => {
    const states = ['Started', 'Paused', 'Resumed'];
    const lines = Array.from({ length: 300 }, (_, i) => `VM ${states[i % 3]} (Lifecycle Event) id ${i}`);
    const { final, text } = parse(lines);
    expect(new Set(final).size).toBe(3);
    expect(text(0)).toBe('VM Started (Lifecycle Event) id <*>');
  });

  it('one dominant value with a tail of rare ones is a variable (user names)', () => {
    const users = ['root', 'root', 'root', 'root', 'admin', 'guest', 'test', 'oracle', 'git', 'ftp'];
    const lines = Array.from(
      { length: 400 },
      (_, i) =>
        `Failed password for ${i < 360 ? 'root' : pick(users, i) + (i % 7)} from 10.0.0.${i % 250} port ${1000 + i} ssh2`,
    );
    const { final, text } = parse(lines);
    expect(new Set(final).size).toBe(1);
    expect(text(0)).toBe('Failed password for <*> from <*> port <*> ssh2');
  });

  it('a word that recurs with every value of another variable stays constant (dpkg states)', () => {
    const states = ['half-installed', 'unpacked', 'half-configured', 'installed'];
    const lines: string[] = [];
    for (let p = 0; p < 80; p++)
      for (const s of states)
        lines.push(`status ${s} pkg${String.fromCharCode(97 + (p % 26))}x${p}:amd64 1.${p}-1`);
    const { final, text } = parse(lines);
    expect(new Set(final).size).toBe(4);
    expect(new Set(final.map((_, i) => text(i)))).toEqual(new Set(states.map((s) => `status ${s} <*> <*>`)));
  });

  it('dates inside the message and URL query strings are values', () => {
    const days = ['Sun Jul 3 10:05:25 2005', 'Mon Jul 4 01:02:03 2005', 'Tue Aug 9 23:59:59 2005'];
    const q = ['all_tenants=True&changes-since=2017-05-16', 'changes-since=2017-05-17&all_tenants=True'];
    const lines = [
      ...days.map((d, i) => `connection from 10.0.0.${i} at ${d}`),
      ...q.map((x) => `"GET /servers/detail?${x} HTTP/1.1" status: 200`),
    ];
    const { final, text } = parse(lines);
    expect(new Set(final.slice(0, 3)).size).toBe(1);
    expect(text(0)).toBe('connection from <*> at <*> <*> <*> <*>:<*>:<*> <*>');
    expect(final[3]).toBe(final[4]);
    expect(text(3)).toBe('"GET /servers/detail?<*> HTTP/1.1" status: <*>');
  });

  it('two word variables that change together (user and host names) merge at both positions', () => {
    const name = (i: number) =>
      `${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + (Math.floor(i / 26) % 26))}x`;
    const lines = Array.from(
      { length: 300 },
      (_, i) => `session opened for ${name(i)}user on ${name(i + 7)}host by admin`,
    );
    const { final, text } = parse(lines);
    expect(new Set(final).size).toBe(1);
    expect(text(0)).toBe('session opened for <*> on <*> by admin');
  });

  it('booleans and `#`-joined numbers are values', () => {
    const { final, text } = parse([
      'isScreenOn true',
      'isScreenOn false',
      'steps = 12##30##7',
      'steps = 1##2##3',
    ]);
    expect(final[0]).toBe(final[1]);
    expect(text(0)).toBe('isScreenOn <*>');
    expect(final[2]).toBe(final[3]);
    expect(text(2)).toBe('steps = <*>##<*>##<*>');
  });

  it('only the masking of a variable differs: one event (`(1.0)` vs `(1:2.0)`)', () => {
    const { final } = parse(['Unpacking foo (1.0) ...', 'Unpacking foo (1:2.0) ...', 'Unpacking foo 3 ...']);
    expect(new Set(final).size).toBe(1);
  });
});

describe('merges shared through the store', () => {
  it('an aliased cluster is stored with its canonical id, and another miner follows it', () => {
    const a = new TemplateMiner('s', DEFAULT_LIMITS);
    const lines = Array.from({ length: 40 }, (_, i) => [
      'Setting',
      'up',
      `pkg${String.fromCharCode(97 + (i % 26))}q${i}`,
      '...',
    ]);
    const ids = lines.map((t) => a.add(t, 0).cluster.id);
    const canonical = a.canonicalId(ids[0]);
    expect(canonical).not.toBe(ids[0]);
    expect(a.canonicalId(ids[39])).toBe(canonical);
    const stored: [string, StoredCluster][] = [...a.clusters()].map((c) => [c.id, toStored(c)]);
    expect(stored.find(([id]) => id === ids[0])![1].m).toBe(canonical);
    // Another replica loads them (oldest first, as the store does) and agrees on every id.
    const b = new TemplateMiner('s', DEFAULT_LIMITS);
    for (const [id, sc] of stored.sort((x, y) => x[1].c - y[1].c)) b.merge(id, sc);
    expect(b.canonicalId(ids[0])).toBe(canonical);
    expect(b.add(['Setting', 'up', 'brand-new', '...'], 0).cluster.id).toBe(canonical);
  });

  it('a merged id is followed even when its alias is loaded before the canonical cluster', () => {
    const b = new TemplateMiner('s', DEFAULT_LIMITS);
    b.merge('tA', { tk: ['x', 'alpha'], p: ['2', 'x', 'alpha'], c: 1, m: 'tC' });
    expect(b.canonicalId('tA')).toBe('tA');
    b.merge('tC', { tk: ['x', '<*>'], p: ['2', 'x', '<*>'], c: 2, n: 10 });
    expect(b.canonicalId('tA')).toBe('tC');
  });
});

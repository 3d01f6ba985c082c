import { describe, expect, it } from 'vitest';
import { Batcher, shouldPause } from './batch.js';

const limits = { maxLines: 3, maxBytes: 20, maxWaitMs: 100, maxSources: 2 };

describe('Batcher', () => {
  it('closes a source batch when it is full by lines', () => {
    const b = new Batcher(limits);
    expect(b.add('a', 'x', 0)).toEqual([]);
    expect(b.add('a', 'y', 0)).toEqual([]);
    expect(b.add('a', 'z', 0)).toEqual([]);
    expect(b.add('a', 'w', 0)).toEqual([{ source: 'a', lines: ['x', 'y', 'z'], bytes: 6 }]);
    expect(b.lines()).toBe(1);
    expect(b.bytes).toBe(2);
  });

  it('closes by bytes before a line would overflow; a line over the limit travels alone', () => {
    const b = new Batcher(limits);
    b.add('a', '0123456789', 0);
    expect(b.add('a', '0123456789', 0)).toEqual([{ source: 'a', lines: ['0123456789'], bytes: 11 }]);
    expect(b.add('a', 'x'.repeat(30), 0)).toHaveLength(1);
    expect(b.drain()).toEqual([{ source: 'a', lines: ['x'.repeat(30)], bytes: 31 }]);
  });

  it('keeps sources apart and closes the oldest past maxSources', () => {
    const b = new Batcher(limits);
    b.add('a', '1', 0);
    b.add('b', '2', 1);
    expect(b.add('c', '3', 2)).toEqual([{ source: 'a', lines: ['1'], bytes: 2 }]);
    expect(b.drain().map((x) => x.source)).toEqual(['b', 'c']);
    expect(b.bytes).toBe(0);
  });

  it.each([
    [99, []],
    [100, ['a']],
    [160, ['a', 'b']],
  ])('due at %i ms: %j', (now, sources) => {
    const b = new Batcher(limits);
    b.add('a', '1', 0);
    b.add('b', '2', 60);
    expect(b.due(now).map((x) => x.source)).toEqual(sources);
  });
});

describe('shouldPause', () => {
  it.each([
    [0, false, false],
    [99, false, false],
    [100, false, true],
    [60, true, true],
    [50, true, true],
    [49, true, false],
  ])('%i bytes pending, paused %s -> %s', (pending, paused, want) => {
    expect(shouldPause(pending, paused, 100)).toBe(want);
  });
});

import { describe, expect, it } from 'vitest';
import { loadCorpus, parseCsv } from './loghub.js';

describe('loadCorpus', () => {
  const corpus = loadCorpus();

  it('labels every line of every corpus log with an event and its template', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(8);
    for (const ds of corpus) {
      expect(ds.lines.length, ds.name).toBeGreaterThan(100);
      expect(ds.eventIds.length, ds.name).toBe(ds.lines.length);
      expect(ds.templates.length, ds.name).toBe(ds.lines.length);
      expect(
        ds.eventIds.every((id) => /^E\d+$/.test(id)),
        ds.name,
      ).toBe(true);
      // One template per event id.
      const byId = new Map<string, string>();
      ds.eventIds.forEach((id, i) => {
        expect(byId.get(id) ?? ds.templates[i], ds.name).toBe(ds.templates[i]);
        byId.set(id, ds.templates[i]);
      });
    }
  });

  it('keeps quoted CSV fields whole', () => {
    expect(parseCsv('a,b\r\n1,"x, ""y"""\n2,\n')).toEqual([
      ['a', 'b'],
      ['1', 'x, "y"'],
      ['2', ''],
    ]);
  });
});

// A flood of distinct endpoints, sources and templates (a scanner hitting random paths, parse-log's
// content-addressed ids past its template cap) must not grow any bucket hash past its cap (keys.ts CAPS),
// while the totals stay exact. Runs against the embedded KV and real Redis (the capped writes are Lua there).
import { afterEach, describe, expect, it } from 'vitest';
import { clearAndClose } from '../../test/services.js';
import { kvTargets } from '../../test/support/kv-targets.js';
import type { KV } from '../kv/types.js';
import { ENDPOINT_PER_OCTAVE, OVERALL_PER_OCTAVE } from './histogram.js';
import { CAP_TEMPLATE_IDS, CAPS, MINUTE_MS, OTHER_LABEL, TEMPLATE_SLACK } from './keys.js';
import { readStats } from './read.js';
import { statsWrites } from './record.js';
import { httpEvent } from './sample-events.js';

const targets = await kvTargets('bounds');

const kvs: KV[] = [];
afterEach(async () => {
  await clearAndClose(kvs);
});

/** A path segment endpointOf keeps as it is (letters only: digits and long tokens would be masked). */
const word = (i: number): string => {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(97 + ((n - 1) % 26)) + s;
  return s;
};

// Histogram buckets span 2^-10 .. 2^25 ms.
const OVERALL_BUCKETS = 35 * OVERALL_PER_OCTAVE + 1;
const ENDPOINT_BUCKETS = 35 * ENDPOINT_PER_OCTAVE + 1;
/** Fields without a content-derived label: n, a, 6 levels, 6 status classes, ls, the overall histogram. */
const FIXED_FIELDS = 2 + 6 + 6 + 1 + OVERALL_BUCKETS;
/**
 * The bound docs/stats.md states for an aggregate hash, which exists only as its by-source twin: the cap,
 * then the fixed set of `(other)|<field>` overflow fields (endpoint label replaced by `(other)`).
 */
const AGGREGATE_MAX = CAPS.bySourceFields + FIXED_FIELDS + (2 + ENDPOINT_BUCKETS);
const TEMPLATE_MAX = CAPS.templateHourFields + TEMPLATE_SLACK + 4;

const sum = (h: Record<string, string>, test: (f: string) => boolean) =>
  Object.entries(h).reduce((s, [f, v]) => (test(f) ? s + Number(v) : s), 0);

describe.each(targets)('stats KV growth is bounded: $name', (target) => {
  if (!target.up) return void it.skip('service not reachable', () => {});

  it('a flood of distinct endpoints, sources and templates stays within CAPS; totals stay exact', async () => {
    const kv = await target.open();
    kvs.push(kv);
    // Every event has an endpoint, source and template never seen before: 80 batches of 200 is 16,000 of each,
    // far past every cap (per batch 50 endpoints, 20 sources and 100 templates survive the per-batch caps).
    const BATCHES = 80;
    const PER_BATCH = 200;
    const now0 = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
    let events = 0;
    let latSum = 0;
    let errors = 0;
    for (let b = 0; b < BATCHES; b++) {
      const batch = [];
      for (let i = 0; i < PER_BATCH; i++) {
        const k = b * PER_BATCH + i;
        const status = k % 7 === 0 ? 503 : 200;
        const ms = 1 + (k % 997) / 4;
        batch.push(
          httpEvent('GET', `/scan/${word(k)}`, status, ms, {
            source: `src${word(k)}`,
            templateId: `tpl-${k}`,
            template: `template ${k}`,
          }),
        );
        latSum += ms;
        if (status >= 500) errors++;
      }
      events += batch.length;
      // All batches in one minute, so one minute, ten-minute and hour hash take the whole flood.
      await kv.apply(statsWrites({ events: batch, anomalies: [], now: now0 + b * 100 }), {
        onceKey: `batch-${b}`,
      });
    }

    const keys = await kv.keys('stats:');
    // A minute and a ten-minute hash, by source only: no hour aggregates, no whole (keys.ts).
    expect(keys.filter((k) => /^stats:[mxh]:/.test(k))).toEqual([]);
    const aggregates = keys.filter((k) => /^stats:src:[mxh]:/.test(k));
    const templateHours = keys.filter((k) => k.startsWith('stats:t:'));
    expect(aggregates).toHaveLength(2);
    expect(templateHours).toHaveLength(1);
    // Fields are `<source>|<field>`; a source label never holds `|`.
    const rest = (f: string) => f.slice(f.indexOf('|') + 1);
    for (const key of aggregates) {
      const h = await kv.hgetall(key);
      const n = Object.keys(h).length;
      expect(n, key).toBeLessThanOrEqual(AGGREGATE_MAX);
      expect(n, key).toBeGreaterThanOrEqual(CAPS.bySourceFields); // the flood did reach the cap
      expect(sum(h, (f) => rest(f) === 'n')).toBe(events);
      expect(sum(h, (f) => rest(f) === 'ls')).toBeCloseTo(latSum, 6);
      expect(Number(h[`${OTHER_LABEL}|n`])).toBeGreaterThan(0);
      // Every latency sample is in exactly one endpoint histogram bucket, own or (other); sums and 5xx too.
      expect(sum(h, (f) => /^ep\|.*\|h\|/.test(rest(f)))).toBe(events);
      expect(sum(h, (f) => /^ep\|.*\|s$/.test(rest(f)))).toBeCloseTo(latSum, 6);
      expect(sum(h, (f) => /^ep\|.*\|x$/.test(rest(f)))).toBe(errors);
      expect(sum(h, (f) => rest(f).startsWith('l|'))).toBe(events);
    }
    const t = await kv.hgetall(templateHours[0]);
    expect(Object.keys(t).length).toBeLessThanOrEqual(TEMPLATE_MAX);
    expect(Object.keys(t).length).toBeGreaterThanOrEqual(CAPS.templateHourFields);
    expect(sum(t, (f) => f.endsWith('|n'))).toBe(events);
    // A template whose count was admitted has its first seen, text and last seen too.
    for (const f of Object.keys(t).filter((x) => x.endsWith('|n'))) {
      const id = f.slice(0, -2);
      expect(t[`${id}|f`], id).toBeDefined();
      expect(t[`${id}|i`], id).toBeDefined();
      expect(t[`${id}|l`], id).toBeDefined();
    }
    expect(t[`${CAP_TEMPLATE_IDS.hour}|i`]).toMatch(/^\(other\)\|\(templates new to a full hour/);
    expect(t[`${CAP_TEMPLATE_IDS.batch}|i`]).toMatch(/^\(other\)\|\(templates beyond the 100 busiest/);

    // The reader's totals still add up.
    const doc = await readStats(kv, { windowMs: 15 * MINUTE_MS, now: now0 + BATCHES * 100 });
    expect(doc.in_window.events).toBe(events);
    expect(Object.values(doc.by_source).reduce((s, n) => s + n, 0)).toBe(events);
    expect(doc.by_source[OTHER_LABEL]).toBeGreaterThan(0);
    expect(doc.latency.count).toBe(events);
    expect(doc.templates[0].count).toBeGreaterThan(0);
    // The cap buckets are reported apart, by cap, not listed as templates.
    expect(doc.templates.map((x) => x.id)).not.toContain(CAP_TEMPLATE_IDS.batch);
    expect(doc.templates.map((x) => x.id)).not.toContain(CAP_TEMPLATE_IDS.hour);
    expect(doc.templates_beyond_cap.batch).toBe(BATCHES * (PER_BATCH - CAPS.templatesPerBatch));
    expect(doc.templates_beyond_cap.hour).toBeGreaterThan(0);
  });
});

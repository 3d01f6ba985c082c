// detect-anomaly's incident changes in its response (x-side-output, for the connector to publish to
// logs.incidents): listed when a batch opens, updates or closes an incident, never for a redelivery.
import { describe, expect, it } from 'vitest';
import { H } from '../../core/headers.js';
import { type IncidentChange, parseIncidentChanges } from '../../core/incident-change.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import { silentLogger } from '../../core/log.js';
import { sampleEvent } from '../../core/stats/sample-events.js';
import { loadDetectConfig } from './config.js';
import { createDetectAnomalyHandler } from './handler.js';

const T0 = Date.UTC(2026, 11, 7, 6);

describe('detect-anomaly incident changes header', () => {
  it('lists opened, updated and closed incidents of a batch, and nothing for a redelivered one', async () => {
    const kv = await createMemoryKv();
    // Rules only; every error line is news on its own; a 10 s quiet period.
    const config = loadDetectConfig({
      MIN_TRAINING: '100000000',
      LEVEL_RATE: '1',
      LEVEL_ROUTINE: '1000000000',
      INCIDENT_QUIET: '10s',
    }).detect;
    let now = T0;
    const h = createDetectAnomalyHandler({ kv, config, logger: silentLogger, now: () => now });
    const batch = (at: number, errors: number) =>
      Array.from({ length: 20 }, (_, i) =>
        JSON.stringify(
          sampleEvent({
            timestamp: new Date(at + i * 10).toISOString(),
            source: 'pay',
            level: i < errors ? 'error' : 'info',
            templateId: i < errors ? 'E1' : 'T1',
            template: i < errors ? 'payment failed <*>' : 'GET /users/<*> <*>',
            raw: i < errors ? `payment failed ${i}` : `GET /users/${i} 200`,
          }),
        ),
      ).join('\n');
    const changes = async (body: string, id: string): Promise<IncidentChange[]> => {
      const res = await h(new Request('http://x/', { method: 'POST', body, headers: { [H.batchId]: id } }));
      expect(res.status).toBe(200);
      const side = res.headers.get(H.sideOutput);
      return side ? parseIncidentChanges(side) : [];
    };
    const opened = await changes(batch(T0, 5), 'b1');
    expect(opened.map((c) => [c.source, c.state])).toEqual([['pay', 'opened']]);
    expect(await changes(batch(T0, 5), 'b1')).toEqual([]);
    now += 1000;
    expect(await changes(batch(T0 + 1000, 5), 'b2')).toEqual([{ ...opened[0], state: 'updated' }]);
    // Quiet lines only, past the quiet period of event time: the incident closes.
    now += 60_000;
    expect(await changes(batch(T0 + 60_000, 0), 'b3')).toEqual([{ ...opened[0], state: 'closed' }]);
    expect(await changes(batch(T0 + 61_000, 0), 'b4')).toEqual([]);
    await kv.close();
  });
});

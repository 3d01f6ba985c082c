// `logfaas analyze` and the running stack give the same verdicts on the same input: the stack in-process
// with real RabbitMQ and Redis (producer -> parse-log -> detect-anomaly -> stats through the gateway and
// the connector), the same file through analyzeFile, same detector settings. One producer batch, so the
// pipeline's batching is the analysis's.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeFile } from '../../cli/commands/analyze-file.js';
import type { Incident } from '../../core/incident.js';
import { silentLogger } from '../../core/log.js';
import { Secret } from '../../core/secrets.js';
import type { StatsDoc } from '../../core/stats/doc.js';
import { loadDetectConfig } from '../../functions/detect-anomaly/config.js';
import { dropNamespace } from '../../runner/drop-namespace.js';
import { type EmbeddedStack, startEmbeddedStack } from '../../runner/embedded.js';
import { amqpUrl, redisUrl, requireService, tcpReachable, uniqueName } from '../services.js';

const up =
  (await requireService('redis', () => tcpReachable(redisUrl(), 6379))) &&
  (await requireService('rabbitmq', () => tcpReachable(amqpUrl(), 5672)));

/** Rules only (no model trained within the run) and a short warm-up, so one batch shows every kind. */
const ENV = { SIMULATE_SCHEDULE: 'off', MIN_TRAINING: '100000000', RARE_MIN_EVENTS: '500' };

/** 1,900 timed lines: steady requests, one 503 after 1,000 clean ones, a 10 s burst, a new message. */
function lines(): string[] {
  const t0 = Date.UTC(2026, 1, 7, 6, 0, 0);
  const at = (ms: number) => new Date(t0 + ms).toISOString().slice(0, 19).replace('T', ' ');
  const req = (ms: number, status: number, i: number) =>
    `${at(ms)} - GET /api/users/${1000 + (i % 97)} - ${status} - ${20 + ((i * 7) % 20)}ms`;
  const out: string[] = [];
  let t = 0;
  for (let i = 0; i < 1000; i++, t += 1000) out.push(req(t, 200, i));
  out.push(req(t, 503, 1000));
  for (let i = 0; i < 300; i++) out.push(req(t + 1000 + i * 30, 200, i));
  t += 11_000;
  for (let i = 0; i < 10; i++, t += 1000)
    out.push(`${at(t)} cache node cache-3 evicted ${800 + i} keys after memory pressure`);
  for (let i = 0; out.length < 1900; i++, t += 1000) out.push(req(t, 200, i));
  return out;
}

const comparable = (x: Incident) => ({
  id: x.id,
  kind: x.kind,
  source: x.source,
  templateIds: x.templateIds,
  firstTs: x.firstTs,
  lastTs: x.lastTs,
  count: x.count,
  actual: x.actual,
  reasons: x.reasons,
  examples: x.examples,
});

describe.skipIf(!up)('logfaas analyze and the stack (real RabbitMQ and Redis) agree', () => {
  const ns = uniqueName('parity');
  let stack: EmbeddedStack;

  beforeAll(async () => {
    stack = await startEmbeddedStack({
      env: ENV,
      stackYaml: readFileSync('stack.yml', 'utf8'),
      stores: {
        redisUrl: redisUrl(),
        amqpUrl: amqpUrl(),
        redisPrefix: `${ns}:`,
        brokerNamespace: ns,
        dataDir: mkdtempSync(join(tmpdir(), 'logfaas-parity-')),
        secretsDir: '/nonexistent',
      },
      adminPassword: new Secret('parity-pw'),
      gatewayPort: 0,
      dashboardPort: 0,
      dashboardDir: 'dist/dashboard',
      host: '127.0.0.1',
      logger: silentLogger,
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await dropNamespace({ redisUrl: redisUrl(), amqpUrl: amqpUrl(), ns });
  });

  it('flags the same lines and reports the same incidents', async () => {
    const text = `${lines().join('\n')}\n`;
    const file = join(mkdtempSync(join(tmpdir(), 'parity-')), 'app.log');
    writeFileSync(file, text);

    const res = await fetch(`${stack.gatewayUrl}/function/producer?source=app`, {
      method: 'POST',
      body: text,
    });
    expect(((await res.json()) as { accepted: number }).accepted).toBe(1900);
    let doc: StatsDoc | undefined;
    for (const until = Date.now() + 30_000; Date.now() < until; ) {
      doc = (await (await fetch(`${stack.gatewayUrl}/function/stats`)).json()) as StatsDoc;
      if (doc.total >= 1900) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(doc?.total).toBe(1900);

    const offline = await analyzeFile(file, { source: 'app', config: loadDetectConfig(ENV).detect });
    expect(offline.lines).toBe(1900);
    // Lines anomalous on their own: the same count and the same lines.
    expect(doc!.anomalies).toBe(offline.flagged.size);
    const flaggedText = [...offline.flagged.keys()].map((i) => text.split('\n')[i]);
    expect(doc!.recent_anomalies.map((a) => a.result.event.raw).sort()).toEqual(flaggedText.sort());
    // Incidents: same ids, kinds, spans, counts, reasons and examples.
    expect(doc!.incidents.map(comparable)).toEqual(offline.incidents.map(comparable));
    const kinds = doc!.incidents.map((x) => x.kind).sort();
    expect(kinds).toEqual(['count_spike', 'event_anomaly', 'new_template']);
    expect(doc!.anomalies).toBe(1);
  }, 60_000);
});

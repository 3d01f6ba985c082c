import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/log.js';
import { loadProducerConfig } from '../functions/producer/config.js';
import { createProducerHandler } from '../functions/producer/handler.js';
import { captureIo } from '../test/support/cli-io.js';
import { type StubGateway, startStubGateway } from '../test/support/stub-gateway.js';
import { brokerWithRawQueue, drain } from '../test/support/test-broker.js';
import { runSend } from './commands/send.js';
import { buildRequest, parseScenario, simulateCommand } from './commands/simulate.js';
import { statusCommand } from './commands/status.js';
import { formatStatus } from './status-format.js';

let stub: StubGateway | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

describe('logfaas status', () => {
  it('prints a compact summary, or the document with --json', async () => {
    const stats = {
      total: 1234567,
      anomalies: 89,
      anomaly_rate: 0.0000721,
      by_source: { web: 10, api: 5 },
      in_window: { events: 900, anomalies: 3, anomaly_rate: 0.0033 },
      window: { ms: 900_000 },
      throughput: { per_second: 1.5 },
    };
    stub = await startStubGateway({ password: 'pw', stats });
    const env = { OPENFAAS_URL: stub.url, OPENFAAS_PASSWORD: 'pw' };
    const a = captureIo(env);
    expect(await statusCommand.run([], a.cli)).toBe(0);
    expect(a.buf.out).toContain('1,234,567 events  89 anomalies (0.01%)');
    expect(a.buf.out).toContain('last 15m    900 events (1.5/s)  3 anomalies (0.33%)');
    expect(a.buf.out).toContain('web 10  api 5');
    const b = captureIo(env);
    expect(await statusCommand.run(['--json'], b.cli)).toBe(0);
    expect(JSON.parse(b.buf.out)).toEqual(stats);
    const c = captureIo({ ...env, OPENFAAS_PASSWORD: 'nope' });
    expect(await statusCommand.run([], c.cli)).toBe(4);
  });

  it('formats a full stats document without control characters from log text', () => {
    const text = formatStatus(
      {
        total: 10,
        anomalies: 1,
        latency: {
          count: 5,
          p50_ms: 12,
          p95_ms: 180,
          p99_ms: 900,
          endpoints: [{ endpoint: 'GET /api/v1/search', p95_ms: 420, p99_ms: 1200 }],
        },
        recent_anomalies: [
          { timestamp: '2026-02-07T06:34:01Z', source: 'api', score: 0.91, message: 'evil \x1b[31mred\x07' },
        ],
        incidents: [
          {
            status: 'open',
            kind: 'count_spike',
            source: 'web',
            count: 4975,
            reasons: ['count spike: 4,975 lines per 10 s, typical ~503 (9.9x) \x1b[2J'],
          },
        ],
        pipeline: { status: 'ok', queues: [{ name: 'logfaas.parse-log', messages: 0, consumers: 1 }] },
      },
      'http://gw',
    );
    expect(text).toContain('p50 12 ms  p95 180 ms  p99 900 ms');
    expect(text).toContain('GET /api/v1/search  p95 420 ms  p99 1,200 ms');
    expect(text).toContain('logfaas.parse-log 0 queued/1 consumers');
    expect(text).toMatch(/incidents +open +count_spike +web +4,975 lines +count spike: 4,975 lines per 10 s/);
    expect(text).not.toMatch(/[\x00-\x08\x1b]/);
  });
});

describe('logfaas simulate', () => {
  it('parses scenario specs and validates locally (usage errors)', () => {
    expect(parseScenario('error-burst:db@120+30')).toEqual({
      name: 'error-burst',
      system: 'db',
      at: 120,
      durationSec: 30,
    });
    expect(buildRequest({ system: ['api'], scenario: ['latency-spike'], lines: '50000', seed: '7' })).toEqual(
      {
        systems: ['api'],
        scenarios: [{ name: 'latency-spike' }],
        lines: 50000,
        seed: 7,
      },
    );
    expect(() => buildRequest({ scenario: ['meteor'] })).toThrow(/scenarios\[0\]\.name/);
    expect(() => buildRequest({ system: ['ftp'] })).toThrow(/system must be/);
  });

  it('drives the producer and reports labelled lines', async () => {
    stub = await startStubGateway({ password: 'pw' });
    const t = captureIo({ OPENFAAS_URL: stub.url, OPENFAAS_PASSWORD: 'pw' });
    const code = await simulateCommand.run(
      ['--system', 'api', '--scenario', 'latency-spike', '--lines', '50000', '--seed', '7'],
      t.cli,
    );
    expect(code, t.buf.err).toBe(0);
    expect(stub.simulations).toEqual([
      { systems: ['api'], scenarios: [{ name: 'latency-spike' }], lines: 50000, seed: 7 },
    ]);
    expect(t.buf.out).toMatch(
      /^simulated 50,000 lines \(api 50,000\) in [\d.]+s: [\d,]+ lines\/s\nlabelled: latency-spike 42\n$/,
    );
  });
});

/** The CLI against the real producer handler (embedded broker) behind a one-route gateway. */
describe('logfaas send -> producer handler', () => {
  it('every line reaches the broker once; a resent chunk repeats its batch ids', async () => {
    const broker = await brokerWithRawQueue();
    const handler = createProducerHandler({
      broker,
      config: loadProducerConfig({ SECRETS_DIR: '/nonexistent', BATCH_LINES: '300' }),
      logger: silentLogger,
    });
    const server: Server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      if (req.url?.startsWith('/system/')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('[{"name":"producer"}]');
      }
      const r = await handler(
        new Request(`http://gw${req.url?.replace('/function/producer', '')}`, {
          method: 'POST',
          headers: req.headers as Record<string, string>,
          body: Buffer.concat(chunks),
        }),
      );
      res.writeHead(r.status, Object.fromEntries(r.headers));
      res.end(Buffer.from(await r.arrayBuffer()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'logfaas-e2e-'));
    try {
      const file = join(dir, 'web.log');
      writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join(''));
      const env = {
        OPENFAAS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        LOGFAAS_STATE_DIR: join(dir, 'state'),
      };
      const t = captureIo(env);
      expect(await runSend([file, '--batch-lines', '1000', '--json'], t.cli), t.buf.err).toBe(0);
      expect(JSON.parse(t.buf.out)).toMatchObject({ lines: 5000 });
      const msgs = await drain(broker);
      const ids = msgs.map((m) => m.messageId);
      expect(new Set(ids).size).toBe(ids.length);
      const lines = msgs.flatMap((m) => new TextDecoder().decode(m.body).split('\n'));
      expect(lines).toHaveLength(5000);
      expect(msgs.every((m) => m.headers['x-source'] === 'web')).toBe(true);
      // Lost progress (state deleted) resends every chunk, under the same batch ids: downstream drops them.
      rmSync(join(dir, 'state'), { recursive: true, force: true });
      expect(await runSend([file, '--batch-lines', '1000', '--json'], captureIo(env).cli)).toBe(0);
      expect((await drain(broker)).map((m) => m.messageId).sort()).toEqual([...ids].sort());
      // The same file again with --no-resume is a deliberate resend: new keys, new batch ids.
      expect(await runSend([file, '--no-resume', '--json'], captureIo(env).cli)).toBe(0);
      const again = (await drain(broker)).map((m) => m.messageId);
      expect(again.some((id) => ids.includes(id))).toBe(false);
    } finally {
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

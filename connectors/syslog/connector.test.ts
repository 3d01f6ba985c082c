// The connector's wiring against real sockets and a real local HTTP server in the producer's place:
// UDP, TCP (both framings) and TLS in; batches per source out, with stable idempotency keys across
// retries; a slow producer pauses TCP readers instead of dropping. The pure parts have their own tables.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { Secret } from '../../core/secrets.js';
import { type RunningSyslog, type SyslogDeps, startSyslog } from './connector.js';
import { SyslogMetrics } from './metrics.js';

interface Call {
  source: string;
  key: string;
  multiline: string;
  lines: string[];
}

/** A producer stand-in: records calls; `answer` picks each call's status (and may wait). */
async function producer(answer: (n: number) => Promise<number> | number = () => 200) {
  const calls: Call[] = [];
  let n = 0;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const status = await answer(++n);
    calls.push({
      source: url.searchParams.get('source') ?? '',
      key: String(req.headers['x-idempotency-key']),
      multiline: String(req.headers['x-multiline']),
      lines: Buffer.concat(chunks).toString('utf8').split('\n'),
    });
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, calls, stop: () => new Promise((r) => server.close(r)) };
}

const config = (gatewayUrl: string, over: Partial<SyslogDeps['config']> = {}): SyslogDeps['config'] => ({
  port: 0,
  host: '127.0.0.1',
  udp: true,
  tcp: true,
  gatewayUrl,
  maxMessageBytes: 1024,
  maxConnections: 8,
  batch: { maxLines: 100, maxBytes: 64 * 1024, maxWaitMs: 20, maxSources: 16 },
  maxPendingBytes: 1024 * 1024,
  sendConcurrency: 2,
  sendTimeoutMs: 5_000,
  retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
  defaultSource: 'syslog',
  ...over,
});

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

async function start(gatewayUrl: string, over: Partial<SyslogDeps['config']> = {}) {
  const metrics = new SyslogMetrics();
  const s: RunningSyslog = await startSyslog({
    config: config(gatewayUrl, over),
    metrics,
    logger: silentLogger,
  });
  running.push(s);
  return { s, metrics };
}

async function until(ok: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function tcpSend(port: number, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1', () => c.end(data));
    c.on('close', () => resolve());
    c.on('error', reject);
  });
}

describe('syslog connector', () => {
  it('routes UDP, TCP and TLS messages by APP-NAME/TAG and counts bad frames without losing the others', async () => {
    const p = await producer();
    running.push(p);
    const dir = mkdtempSync(join(tmpdir(), 'syslog-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const tls = {
      port: 0,
      cert: new Secret(readFileSync(join(dir, 'cert.pem'), 'utf8')),
      key: new Secret(readFileSync(join(dir, 'key.pem'), 'utf8')),
    };
    const { s, metrics } = await start(p.url, { tls });
    const udp = createSocket('udp4');
    const a = '<13>Dec  7 06:04:18 web-1 nginx: GET /\n';
    await new Promise<void>((r) => udp.send(a, s.udpPort, '127.0.0.1', () => r()));
    udp.close();
    const b = '<11>1 2026-12-07T06:04:18Z db-1 postgres 7 - - deadlock\nsecond line';
    await tcpSend(
      s.tcpPort as number,
      `${Buffer.byteLength(b)} ${b}<14>1 - h postgres - - - ok\nnot syslog\n9x broken\n`,
    );
    await new Promise<void>((resolve) => {
      const c = tlsConnect({ port: s.tlsPort as number, host: '127.0.0.1', rejectUnauthorized: false }, () =>
        c.end('<13>Dec  7 06:04:18 web-1 app/worker[3]: over tls\n'),
      );
      c.on('close', () => resolve());
    });
    await until(() => metrics.accepted === 4);
    const bySource = new Map<string, string[]>();
    for (const c of p.calls) bySource.set(c.source, [...(bySource.get(c.source) ?? []), ...c.lines]);
    expect(bySource.get('nginx')).toEqual(['<13>Dec  7 06:04:18 web-1 nginx: GET /']);
    expect(bySource.get('postgres')).toEqual([
      '<11>1 2026-12-07T06:04:18Z db-1 postgres 7 - - deadlock#012second line',
      '<14>1 - h postgres - - - ok',
    ]);
    expect(bySource.get('app_worker')).toEqual(['<13>Dec  7 06:04:18 web-1 app/worker[3]: over tls']);
    expect(metrics.receivedTotal()).toBe(6); // the bad frame counts as received, and dropped
    expect(metrics.droppedTotal('tcp', 'bad_pri')).toBe(1);
    expect(metrics.droppedTotal('tcp', 'bad_frame')).toBe(1);
    expect(metrics.render()).toMatch(/syslog_messages_dropped_total\{transport="tcp",reason="bad_pri"\} 1/);
  });

  it('retries a failed producer call with the same idempotency key and counts the lines once', async () => {
    const p = await producer((n) => (n === 1 ? 500 : 200));
    running.push(p);
    const { s, metrics } = await start(p.url);
    await tcpSend(s.tcpPort as number, '<13>Dec  7 06:04:18 h app: one\n<13>Dec  7 06:04:18 h app: two\n');
    await until(() => metrics.accepted === 2);
    expect(p.calls).toHaveLength(2);
    expect(p.calls[0].key).toBe(p.calls[1].key);
    expect(p.calls[0].multiline).toBe('off'); // syslog framing already ends each message
    expect(p.calls[1].lines).toHaveLength(2);
    expect(metrics.retries).toBe(1);
  });

  it('pauses TCP readers while the producer is slow and loses nothing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = await producer(async () => {
      await gate;
      return 200;
    });
    running.push(p);
    const { s, metrics } = await start(p.url, {
      maxPendingBytes: 64 * 1024,
      batch: { maxLines: 200, maxBytes: 16 * 1024, maxWaitMs: 20, maxSources: 16 },
    });
    const n = 20_000;
    const lines = Array.from({ length: n }, (_, i) => `<13>Dec  7 06:04:18 h app: line ${i}\n`).join('');
    const sent = tcpSend(s.tcpPort as number, lines);
    await until(() => metrics.paused);
    const held = s.pendingLines();
    expect(held).toBeLessThan(n);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.pendingLines()).toBeLessThan(held + 2_000); // paused: not reading on
    release();
    await sent;
    await until(() => metrics.accepted === n, 20_000);
    expect(metrics.droppedTotal()).toBe(0);
    const got = p.calls.flatMap((c) => c.lines);
    expect(got).toHaveLength(n);
    expect(got[n - 1]).toBe(`<13>Dec  7 06:04:18 h app: line ${n - 1}`);
  });
});

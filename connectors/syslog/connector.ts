// The syslog connector's I/O, all of it: UDP, TCP and TLS listeners, back-pressure on the readers, and
// producer calls through the gateway with retries. Framing, parsing, batching and the retry choice are
// the pure files next to this one.
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { H } from '../../core/headers.js';
import { createHttpClient, HttpTimeoutError } from '../../core/http/client.js';
import type { Logger } from '../../core/log.js';
import type { Outcome } from '../../core/retry-decision.js';
import { type Batch, Batcher, shouldPause } from './batch.js';
import type { SyslogConfig } from './config.js';
import { Deframer } from './framing.js';
import { readMessage, sourceFor } from './message.js';
import type { SyslogMetrics, Transport } from './metrics.js';
import { decideSend } from './send-decision.js';

export interface SyslogDeps {
  config: Omit<SyslogConfig, 'port' | 'metricsPort'> & { port: number };
  metrics: SyslogMetrics;
  logger: Logger;
  /** Prefix of the idempotency keys; a fresh one per process, so two processes never share a key. */
  keyPrefix?: string;
}

export interface RunningSyslog {
  /** Bound ports (useful when 0 was asked for). */
  udpPort?: number;
  tcpPort?: number;
  tlsPort?: number;
  /** Messages waiting in batches, in the send queue or in producer calls. */
  pendingLines(): number;
  /** Stops listening, sends what is open and waits for it (up to `drainMs`). */
  stop(drainMs?: number): Promise<void>;
}

export async function startSyslog(deps: SyslogDeps): Promise<RunningSyslog> {
  const cfg = deps.config;
  const m = deps.metrics;
  const log = deps.logger;
  const prefix = deps.keyPrefix ?? `syslog-${randomUUID()}`;
  const batcher = new Batcher(cfg.batch);
  const queue: Batch[] = [];
  let queuedBytes = 0;
  let queuedLines = 0;
  let inflight = 0;
  let inflightBytes = 0;
  let inflightLines = 0;
  let seq = 0;
  let stopping = false;
  /** Set once stop()'s drain time is up: retry loops end instead of keeping the process alive. */
  let givenUp = false;
  const sockets = new Set<Socket>();
  const http = createHttpClient({ maxSockets: cfg.sendConcurrency });
  const idle: (() => void)[] = [];

  const pending = () => batcher.bytes + queuedBytes + inflightBytes;
  function pressure(): void {
    m.pendingBytes = pending();
    const p = shouldPause(m.pendingBytes, m.paused, cfg.maxPendingBytes);
    if (p === m.paused) return;
    m.paused = p;
    for (const s of sockets) p ? s.pause() : s.resume();
    if (p) log.warn('producer is behind: pausing syslog TCP readers', { pendingBytes: m.pendingBytes });
    else log.info('resuming syslog TCP readers', { pendingBytes: m.pendingBytes });
  }

  function ingest(text: string, t: Transport): void {
    m.receive(t);
    const msg = readMessage(text);
    if (typeof msg === 'string') {
      m.drop(t, msg);
      return;
    }
    for (const b of batcher.add(sourceFor(msg.app, cfg.defaultSource), msg.line, Date.now())) enqueue(b);
  }

  function enqueue(b: Batch): void {
    queue.push(b);
    queuedBytes += b.bytes;
    queuedLines += b.lines.length;
    pump();
  }

  function pump(): void {
    while (inflight < cfg.sendConcurrency && queue.length > 0) {
      const b = queue.shift() as Batch;
      queuedBytes -= b.bytes;
      queuedLines -= b.lines.length;
      inflight++;
      inflightBytes += b.bytes;
      inflightLines += b.lines.length;
      void send(b, `${prefix}-${seq++}`).finally(() => {
        inflight--;
        inflightBytes -= b.bytes;
        inflightLines -= b.lines.length;
        pump();
        pressure();
        if (inflight === 0 && queue.length === 0) for (const f of idle.splice(0)) f();
      });
    }
  }

  async function send(b: Batch, key: string): Promise<void> {
    const body = Buffer.from(b.lines.join('\n'));
    let attempt = 1;
    for (let tries = 1; ; tries++) {
      const o = await post(b.source, body, key);
      const d = decideSend(o, attempt, tries, cfg.retry);
      if (d.action === 'done') {
        m.accepted += b.lines.length;
        m.batches++;
        return;
      }
      if (d.action === 'drop') {
        log.error('producer rejected a syslog batch: dropped', {
          source: b.source,
          lines: b.lines.length,
          reason: d.reason,
        });
        m.drop('any', 'rejected', b.lines.length);
        return;
      }
      if (givenUp) return;
      m.retries++;
      if (tries === 1 || tries % 10 === 0)
        log.warn('producer call failed, retrying', { source: b.source, reason: d.reason, tries });
      await new Promise((r) => setTimeout(r, d.delayMs));
      if (d.counted) attempt++;
    }
  }

  async function post(source: string, body: Buffer, key: string): Promise<Outcome> {
    try {
      const r = await http({
        method: 'POST',
        url: `${cfg.gatewayUrl}/function/producer?source=${encodeURIComponent(source)}`,
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          // The same key on every retry: the producer derives its batch ids from it, so nothing counts twice.
          'x-idempotency-key': key,
          // Syslog's framing already says where each message ends (line breaks inside one are escaped):
          // no grouping of lines into multi-line records, and nothing held back for a continuation.
          [H.multiline]: 'off',
        },
        body,
        timeoutMs: cfg.sendTimeoutMs,
      });
      return { kind: 'response', status: r.status };
    } catch (e) {
      if (e instanceof HttpTimeoutError) return { kind: 'timeout' };
      return { kind: 'unreachable', message: (e as { code?: string }).code ?? String(e) };
    }
  }

  const ticker = setInterval(
    () => {
      for (const b of batcher.due(Date.now())) enqueue(b);
      pressure();
    },
    Math.max(10, Math.min(100, cfg.batch.maxWaitMs / 2)),
  );

  function onConnection(s: Socket, t: Transport): void {
    if (stopping) return void s.destroy();
    sockets.add(s);
    m.connections++;
    if (m.paused) s.pause();
    const d = new Deframer(cfg.maxMessageBytes, {
      frame: (buf, start, end) => ingest(buf.toString('utf8', start, end), t),
      problem: (p) => {
        m.receive(t);
        m.drop(t, p);
      },
    });
    s.on('data', (chunk: Buffer) => {
      d.push(chunk);
      pressure();
    });
    s.on('end', () => {
      d.end();
      s.end();
    });
    s.on('error', () => {}); // a peer reset is the peer's business; 'close' follows
    s.on('close', () => {
      sockets.delete(s);
      m.connections--;
    });
  }

  const servers: Server[] = [];
  const listen = (srv: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      srv.maxConnections = cfg.maxConnections;
      srv.on('drop', () => m.connectionsRefused++);
      srv.once('error', reject);
      srv.listen(port, cfg.host, () => resolve((srv.address() as { port: number }).port));
      servers.push(srv);
    });

  let udp: UdpSocket | undefined;
  const out: RunningSyslog = {
    pendingLines: () => batcher.lines() + queuedLines + inflightLines,
    async stop(drainMs = 10_000) {
      stopping = true;
      clearInterval(ticker);
      udp?.close();
      for (const srv of servers) srv.close();
      for (const s of sockets) s.end();
      for (const b of batcher.drain()) enqueue(b);
      if (inflight > 0 || queue.length > 0) {
        await Promise.race([
          new Promise<void>((r) => idle.push(r)),
          new Promise((r) => setTimeout(r, drainMs).unref()),
        ]);
      }
      givenUp = true;
      for (const s of sockets) s.destroy();
      if (out.pendingLines() > 0) log.warn('stopped with lines unsent', { lines: out.pendingLines() });
      http.close();
    },
  };
  try {
    if (cfg.tcp)
      out.tcpPort = await listen(
        createTcpServer((s) => onConnection(s, 'tcp')),
        cfg.port,
      );
    if (cfg.udp) {
      const sock = createSocket({
        type: cfg.host.includes(':') ? 'udp6' : 'udp4',
        recvBufferSize: 4 * 1024 * 1024,
      });
      udp = sock;
      sock.on('message', (msg) => {
        // UDP cannot be slowed down: past the pending limit a datagram is dropped, and counted.
        const problem =
          msg.length > cfg.maxMessageBytes ? 'too_large' : m.paused ? 'backpressure' : undefined;
        if (problem) {
          m.receive('udp');
          m.drop('udp', problem);
          return;
        }
        ingest(msg.toString('utf8'), 'udp');
        if (pending() >= cfg.maxPendingBytes) pressure();
      });
      sock.on('error', (e) => log.error('syslog UDP socket error', { err: String(e) }));
      out.udpPort = await new Promise<number>((resolve, reject) => {
        sock.once('error', reject);
        // Port 0 (tests): the same port number as the TCP listener.
        sock.bind(out.tcpPort ?? cfg.port, cfg.host, () => resolve(sock.address().port));
      });
    }
    if (cfg.tls) {
      const srv = createTlsServer({ cert: cfg.tls.cert.reveal(), key: cfg.tls.key.reveal() }, (s) =>
        onConnection(s, 'tls'),
      );
      srv.on('tlsClientError', () => m.tlsHandshakeFailures++);
      out.tlsPort = await listen(srv, cfg.tls.port);
    }
  } catch (e) {
    await out.stop(0);
    throw e;
  }
  return out;
}

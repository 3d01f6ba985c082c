// The connector's Prometheus counters and gauges (text exposition format 0.0.4), rendered on GET /metrics.

export type Transport = 'udp' | 'tcp' | 'tls';

export class SyslogMetrics {
  private readonly received = new Map<Transport, number>();
  private readonly dropped = new Map<string, number>();
  accepted = 0;
  batches = 0;
  retries = 0;
  connections = 0;
  connectionsRefused = 0;
  tlsHandshakeFailures = 0;
  pendingBytes = 0;
  paused = false;

  receive(t: Transport): void {
    this.received.set(t, (this.received.get(t) ?? 0) + 1);
  }

  /** `n` messages of transport `t` dropped for `reason` (a frame or parse problem, back-pressure, rejected). */
  drop(t: Transport | 'any', reason: string, n = 1): void {
    const k = `${t}\u0000${reason}`;
    this.dropped.set(k, (this.dropped.get(k) ?? 0) + n);
  }

  droppedTotal(t?: Transport, reason?: string): number {
    let n = 0;
    for (const [k, v] of this.dropped) {
      const [tt, rr] = k.split('\u0000');
      if ((!t || tt === t) && (!reason || rr === reason)) n += v;
    }
    return n;
  }

  receivedTotal(t?: Transport): number {
    let n = 0;
    for (const [k, v] of this.received) if (!t || k === t) n += v;
    return n;
  }

  render(): string {
    const out: string[] = [];
    const head = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    // received = accepted + dropped + pending: a bad frame is received and dropped.
    head('syslog_messages_received_total', 'counter', 'Syslog messages (frames or datagrams) received');
    for (const [t, v] of this.received) out.push(`syslog_messages_received_total{transport="${t}"} ${v}`);
    head('syslog_messages_dropped_total', 'counter', 'Messages dropped, by transport and reason');
    for (const [k, v] of this.dropped) {
      const [t, r] = k.split('\u0000');
      out.push(`syslog_messages_dropped_total{transport="${t}",reason="${r}"} ${v}`);
    }
    head(
      'syslog_messages_accepted_total',
      'counter',
      'Messages the producer accepted (confirmed by the broker)',
    );
    out.push(`syslog_messages_accepted_total ${this.accepted}`);
    head('syslog_batches_sent_total', 'counter', 'Producer calls that succeeded');
    out.push(`syslog_batches_sent_total ${this.batches}`);
    head('syslog_send_retries_total', 'counter', 'Producer calls retried');
    out.push(`syslog_send_retries_total ${this.retries}`);
    head('syslog_connections', 'gauge', 'Open TCP and TLS connections');
    out.push(`syslog_connections ${this.connections}`);
    head('syslog_connections_refused_total', 'counter', 'Connections refused at SYSLOG_MAX_CONNECTIONS');
    out.push(`syslog_connections_refused_total ${this.connectionsRefused}`);
    head('syslog_tls_handshake_failures_total', 'counter', 'TLS connections that failed their handshake');
    out.push(`syslog_tls_handshake_failures_total ${this.tlsHandshakeFailures}`);
    head('syslog_pending_bytes', 'gauge', 'Bytes received and not yet accepted by the producer');
    out.push(`syslog_pending_bytes ${this.pendingBytes}`);
    head('syslog_readers_paused', 'gauge', '1 while TCP readers are paused by back-pressure');
    out.push(`syslog_readers_paused ${this.paused ? 1 : 0}`);
    return `${out.join('\n')}\n`;
  }
}

/** GET /metrics; anything else 404 (health and readiness are the server adapter's). */
export function createMetricsHandler(metrics: SyslogMetrics): (req: Request) => Promise<Response> {
  return async (req) => {
    if (new URL(req.url).pathname === '/metrics' && req.method === 'GET')
      return new Response(metrics.render(), { headers: { 'content-type': 'text/plain; version=0.0.4' } });
    return Response.json(
      { error: 'not found: GET /metrics', code: 'not_found', status: 404 },
      { status: 404 },
    );
  };
}

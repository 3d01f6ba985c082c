// Real-looking mixed-format log lines for end-to-end tests, with the number of error lines known.
// Deterministic (seeded), so a failing run can be repeated exactly.

import { seededRandom } from '../../core/random.js';

export interface MixedLines {
  lines: string[];
  /** Lines that are errors by any reading: 5xx status or an ERROR/FATAL level. */
  errors: number;
  malformed: number;
}

const rng = seededRandom;

const PATHS = ['/api/users', '/api/orders', '/api/products', '/health', '/api/cart'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT'];

export function mixedLines(n: number, seed = 42, errorShare = 0.02): MixedLines {
  const r = rng(seed);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const lines: string[] = [];
  let errors = 0;
  let malformed = 0;
  const t0 = Date.UTC(2026, 1, 7, 6, 0, 0);
  for (let i = 0; i < n; i++) {
    const t = new Date(t0 + i * 50);
    const iso = t.toISOString();
    const seedTs = iso.slice(0, 19).replace('T', ' ');
    const isError = r() < errorShare;
    const kind = i % 20 === 7 ? 'malformed' : pick(['seed', 'combined', 'json', 'logfmt', 'syslog']);
    const path = pick(PATHS);
    const method = pick(METHODS);
    const latency = 20 + Math.floor(r() * 60);
    if (kind === 'malformed') {
      malformed++;
      // Broken JSON, a stray fragment: parsed as plain text, never an error by level or status.
      lines.push(
        i % 40 === 7
          ? `{"level":"info","msg":"cache warm ${i % 7}`
          : `partial write of ${i % 9} bytes to buffer`,
      );
      continue;
    }
    if (isError) errors++;
    const status = isError ? pick([500, 502, 503]) : pick([200, 200, 201, 304]);
    switch (kind) {
      case 'seed':
        lines.push(`${seedTs} - ${method} ${path} - ${status} - ${latency}ms`);
        break;
      case 'combined':
        lines.push(
          `10.0.${i % 7}.${i % 200} - - [07/Feb/2026:06:${String(t.getUTCMinutes()).padStart(2, '0')}:${String(t.getUTCSeconds()).padStart(2, '0')} +0000] "${method} ${path} HTTP/1.1" ${status} ${500 + (i % 900)} "-" "Mozilla/5.0 (X11; Linux x86_64)"`,
        );
        break;
      case 'json':
        lines.push(
          JSON.stringify({
            ts: iso,
            level: isError ? 'error' : 'info',
            service: 'api',
            method,
            path,
            status,
            latency_ms: latency,
            msg: isError ? 'request failed' : 'request completed',
          }),
        );
        break;
      case 'logfmt':
        lines.push(
          `time=${iso} level=${isError ? 'error' : 'info'} method=${method} path=${path} status=${status} duration=${latency}ms msg="request handled"`,
        );
        break;
      default:
        // RFC 5424 syslog with severity in PRI: 11 = user.err, 14 = user.info.
        lines.push(
          `<${isError ? 11 : 14}>1 ${iso} web-${i % 3} app ${1000 + (i % 50)} - - ${isError ? `request ${method} ${path} failed with status ${status}` : `request ${method} ${path} served in ${latency} ms`}`,
        );
    }
  }
  return { lines, errors, malformed };
}

export interface TraceRecords {
  lines: string[];
  /** Events they make: one per record. */
  records: number;
  /** Records with a stack trace (Java, Python or Go). */
  traces: number;
}

/** `n` records: log lines, some followed by a Java or Python trace, some Go panics; seeded. */
export function recordsWithTraces(n: number, seed = 7): TraceRecords {
  const r = rng(seed);
  const lines: string[] = [];
  let traces = 0;
  const t0 = Date.UTC(2026, 1, 7, 6, 0, 0);
  for (let i = 0; i < n; i++) {
    const ts = new Date(t0 + i * 1000).toISOString().slice(0, 19).replace('T', ' ');
    const kind = r();
    if (kind < 0.1) {
      traces++;
      lines.push(
        `${ts} ERROR [main] c.e.Orders - order ${i} failed`,
        'java.lang.IllegalStateException: boom',
      );
      for (let k = 0; k < 1 + Math.floor(r() * 6); k++)
        lines.push(`\tat com.example.Orders.step${k}(Orders.java:${10 + k})`);
      lines.push('Caused by: java.io.IOException: disk full', '\t... 4 more');
    } else if (kind < 0.18) {
      traces++;
      lines.push(`${ts},000 ERROR app: request ${i} failed`, 'Traceback (most recent call last):');
      lines.push('  File "/srv/app.py", line 10, in handle', '    load(path)', `KeyError: 'k${i}'`);
    } else if (kind < 0.2) {
      traces++;
      lines.push(
        `panic: runtime error: index out of range [${i}] with length 3`,
        '',
        'goroutine 1 [running]:',
      );
      lines.push('main.main()', '\t/srv/main.go:12 +0x1d', 'exit status 2');
    } else if (kind < 0.25) {
      lines.push(`${ts} WARN c.e.Orders - slow order ${i}:`, `    took ${Math.floor(r() * 900)} ms`);
    } else lines.push(`${ts} INFO c.e.Orders - order ${i} shipped in ${Math.floor(r() * 90)} ms`);
  }
  return { lines, records: n, traces };
}

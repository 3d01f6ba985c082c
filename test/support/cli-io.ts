// Test support: a CLI command's io with stdout and stderr captured as text, and in-process server options
// for the handlers the commands talk to.
import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../../cli/command.js';

/** `cli` for the command (empty stdin, this env); `buf.out` / `buf.err` fill as it writes. */
export function captureIo(env: Record<string, string> = {}) {
  const out = new PassThrough();
  const err = new PassThrough();
  const buf = { out: '', err: '' };
  out.on('data', (d) => (buf.out += d));
  err.on('data', (d) => (buf.err += d));
  const cli: CliIo = { stdout: out, stderr: err, stdin: Readable.from([]), env };
  return { cli, buf };
}

/** serve() options for a handler on a free local port. */
export const serveOpts = {
  port: 0,
  host: '127.0.0.1',
  maxBodyBytes: 65_536,
  maxInflight: 16,
  timeoutMs: 10_000,
  drainMs: 100,
};

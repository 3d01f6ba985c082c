// Runs child processes and restarts one that dies, as docker-compose's `restart: unless-stopped` does.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/log.js';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface SupervisedChild {
  readonly name: string;
  pid(): number | undefined;
  restarts(): number;
  /** Sends a signal to the current process (a kill -9 is followed by a restart). */
  kill(signal: NodeJS.Signals): void;
}

export interface Supervisor {
  children: Map<string, SupervisedChild>;
  stop(): Promise<void>;
}

export function supervise(
  specs: ChildSpec[],
  opts: { logDir: string; logger: Logger; echo?: boolean },
): Supervisor {
  mkdirSync(opts.logDir, { recursive: true });
  let stopping = false;
  const procs = new Map<string, ChildProcess>();
  const children = new Map<string, SupervisedChild>();
  const logs: WriteStream[] = [];

  for (const spec of specs) {
    let restarts = 0;
    let lastStart = 0;
    const log = createWriteStream(join(opts.logDir, `${spec.name}.log`), { flags: 'a' });
    logs.push(log);
    const start = () => {
      lastStart = Date.now();
      const p = spawn(spec.command, spec.args, { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
      procs.set(spec.name, p);
      p.stdout?.pipe(log, { end: false });
      p.stderr?.pipe(log, { end: false });
      if (opts.echo) {
        p.stdout?.on('data', (c) => process.stderr.write(prefix(spec.name, c)));
        p.stderr?.on('data', (c) => process.stderr.write(prefix(spec.name, c)));
      }
      p.on('exit', (code, signal) => {
        if (stopping) return;
        restarts++;
        // Back off if it keeps dying right after start; restart at once after a long healthy run.
        const delay =
          Date.now() - lastStart < 5_000 ? Math.min(10_000, 500 * 2 ** Math.min(restarts, 5)) : 200;
        opts.logger.warn('child exited, restarting', { child: spec.name, code, signal, inMs: delay });
        setTimeout(() => !stopping && start(), delay);
      });
    };
    start();
    children.set(spec.name, {
      name: spec.name,
      pid: () => procs.get(spec.name)?.pid,
      restarts: () => restarts,
      kill: (sig) => procs.get(spec.name)?.kill(sig),
    });
  }

  return {
    children,
    async stop() {
      stopping = true;
      await Promise.all(
        [...procs.values()].map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.exitCode !== null || p.signalCode !== null) return resolve();
              const t = setTimeout(() => p.kill('SIGKILL'), 12_000);
              p.once('exit', () => {
                clearTimeout(t);
                resolve();
              });
              p.kill('SIGTERM');
            }),
        ),
      );
      for (const l of logs) l.end();
    },
  };
}

function prefix(name: string, chunk: Buffer): string {
  return chunk
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((l) => `[${name}] ${l}\n`)
    .join('');
}

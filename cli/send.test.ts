import { execFile, execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type StubGateway, type StubOptions, startStubGateway } from '../test/support/stub-gateway.js';
import type { CliIo } from './command.js';
import { runSend, sourceFromName } from './commands/send.js';
import { freshState, saveState, stateFilePath } from './send-state.js';

const ROOT = join(import.meta.dirname, '..');
let dir: string;
let stub: StubGateway | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'logfaas-send-'));
  try {
    execFileSync(process.execPath, ['build.mjs'], { cwd: ROOT, stdio: 'ignore' });
  } catch (e) {
    // Another component's work in progress can break the whole-tree build; the last bundle still
    // has this command's code unless it changed since, so only a missing bundle is fatal.
    if (!existsSync(join(ROOT, 'dist/cli.mjs'))) throw e;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

const lines = (n: number, tag = 'l') =>
  Array.from({ length: n }, (_, i) => `2026-02-07T06:34:01Z INFO ${tag} line ${i}`);
function writeLog(name: string, content: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, content.map((l) => `${l}\n`).join(''));
  return p;
}

function io(env: Record<string, string> = {}, stdin: NodeJS.ReadableStream = Readable.from([])) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const cli: CliIo = {
    stdout: out,
    stderr: err,
    stdin,
    env: { LOGFAAS_STATE_DIR: join(dir, 'state'), ...env },
  };
  return { cli, out: () => stdout, err: () => stderr };
}

async function gateway(o: StubOptions = {}) {
  stub = await startStubGateway({ password: 'pw', ...o });
  return { OPENFAAS_URL: stub.url, OPENFAAS_PASSWORD: 'pw' };
}

/** Runs the built CLI as a user would. */
function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'dist/cli.mjs'), ...args],
      { env: { PATH: process.env.PATH, HOME: dir, LOGFAAS_STATE_DIR: join(dir, 'state'), ...env } },
      (e, stdout, stderr) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('logfaas send', () => {
  it('sends every line once and prints a parseable summary', async () => {
    const env = await gateway();
    const content = lines(12_345);
    const file = writeLog('app.log', content);
    const t = io(env);
    const code = await runSend([file, '--batch-lines', '1000', '--no-resume'], t.cli);
    expect(code, t.err()).toBe(0);
    expect(stub!.received.sort()).toEqual([...content].sort());
    expect(t.out()).toMatch(
      /^sent lines=12345 bytes=\d+ seconds=[\d.]+ lines_per_sec=\d+ mb_per_sec=[\d.]+ resumed_lines=0\n$/,
    );
    expect(t.err()).toBe('');
    expect(stub!.requests.every((r) => r.path === '/function/producer?source=app' && r.lines <= 1000)).toBe(
      true,
    );
    expect(new Set(stub!.requests.map((r) => r.headers['x-idempotency-key'])).size).toBe(
      stub!.requests.length,
    );
  });

  it('resumes after a failure mid-send without sending a line twice', async () => {
    const content = lines(10_000, 'resume');
    const file = writeLog('resume.log', content);
    const first = await gateway({ failAfter: 4 });
    const t1 = io(first);
    expect(await runSend([file, '--batch-lines', '1000', '--parallel', '2', '--json'], t1.cli)).toBe(1);
    const confirmed = stub!.received.length;
    expect(confirmed).toBeGreaterThan(0);
    expect(confirmed).toBeLessThan(10_000);
    expect(t1.err()).toMatch(
      new RegExp(
        `^logfaas send: gateway answered 500 \\(simulated failure\\); ${confirmed.toLocaleString('en-US')} lines confirmed and saved: run the same command again to resume\\n$`,
      ),
    );
    const sentBefore = [...stub!.received];
    const port = Number(new URL(stub!.url).port);
    await stub!.close();

    // The gateway comes back at the same address: the same target, so the send resumes.
    const second = await gateway({ port });
    const t2 = io(second);
    expect(await runSend([file, '--batch-lines', '1000', '--parallel', '2', '--json'], t2.cli)).toBe(0);
    const all = [...sentBefore, ...stub!.received];
    expect(all).toHaveLength(10_000);
    expect(all.sort()).toEqual([...content].sort());
    expect(JSON.parse(t2.out())).toMatchObject({
      lines: 10_000 - confirmed,
      resumed_lines: confirmed,
      resumed_to: `resume at ${second.OPENFAAS_URL}`,
    });

    // A third run finds nothing new; appended lines are sent on the next run.
    const t3 = io(second);
    expect(await runSend([file, '--json'], t3.cli)).toBe(0);
    expect(JSON.parse(t3.out()).lines).toBe(0);
    appendFileSync(file, 'one more\n');
    expect(await runSend([file, '--json'], io(second).cli)).toBe(0);
    expect(stub!.received.at(-1)).toBe('one more');
  });

  it('keeps progress per file and target: another gateway or source gets the whole file (#17.10)', async () => {
    const content = lines(3000, 'target');
    const file = writeLog('target.log', content);
    const staging = await gateway();
    expect(await runSend([file, '--json'], io(staging).cli)).toBe(0);
    expect(stub!.received).toHaveLength(3000);
    const stagingKeys = [...stub!.byKey.keys()];
    const stagingStub = stub!;

    // Production: another gateway, same file: every line goes there too.
    stub = await startStubGateway({ password: 'pw' });
    const production = { OPENFAAS_URL: stub.url, OPENFAAS_PASSWORD: 'pw' };
    const p = io(production);
    expect(await runSend([file, '--json'], p.cli)).toBe(0);
    expect(stub.received).toHaveLength(3000);
    expect(JSON.parse(p.out())).toMatchObject({ lines: 3000, resumed_lines: 0 });

    // Again to production: nothing new, and the summary says where the skipped lines went.
    const again = io(production);
    expect(await runSend([file], again.cli)).toBe(0);
    expect(again.out()).toMatch(
      new RegExp(
        `^sent lines=0 .* resumed_lines=3000 resumed_to="target at ${stub.url.replace(/\./g, '\\.')}"\n$`,
      ),
    );

    // Staging under another source: sent again, under keys of its own (not dropped as duplicates).
    await stub.close();
    stub = stagingStub;
    const other = io(staging);
    expect(await runSend([file, '--source', 'other', '--json'], other.cli)).toBe(0);
    expect(stub.received).toHaveLength(6000);
    const otherKeys = [...stub.byKey.keys()].filter((k) => !stagingKeys.includes(k));
    expect(otherKeys.length).toBe(stagingKeys.length);
  });

  it('takes over progress saved before it was kept per target, once', async () => {
    const content = lines(500, 'legacy');
    const file = writeLog('legacy.log', content);
    const st = statSync(file);
    const stateDir = join(dir, 'state');
    // What an earlier logfaas saved: no target, file named by path, device and inode only.
    const legacy = { ...freshState(file, st), offset: st.size, lines: 500 };
    saveState(stateFilePath(stateDir, file, st), legacy);
    const env = await gateway();
    const t = io(env);
    expect(await runSend([file, '--json'], t.cli)).toBe(0);
    expect(stub!.received).toHaveLength(0);
    expect(JSON.parse(t.out())).toMatchObject({ lines: 0, resumed_lines: 500 });
    expect(existsSync(stateFilePath(stateDir, file, st))).toBe(false);
    expect(
      existsSync(stateFilePath(stateDir, file, st, { gateway: env.OPENFAAS_URL, source: 'legacy' })),
    ).toBe(true);
    // A second target does not take it again.
    expect(await runSend([file, '--json', '--source', 'elsewhere'], io(env).cli)).toBe(0);
    expect(stub!.received).toHaveLength(500);
  });

  it('reads stdin, gzip-compressed, with a last line lacking its newline', async () => {
    const env = await gateway();
    const t = io(env, Readable.from([Buffer.from('a\nb\n'), Buffer.from('c\r\nd')]));
    expect(await runSend(['-', '--gzip', '--source', 'pipe', '--json'], t.cli)).toBe(0);
    expect(stub!.received).toEqual(['a', 'b', 'c\r', 'd']);
    expect(stub!.requests[0].headers['content-encoding']).toBe('gzip');
    expect(stub!.requests[0].path).toContain('source=pipe');
  });

  it('follows a growing file across rotation and truncation', async () => {
    const env = await gateway();
    const file = writeLog('follow.log', ['first']);
    const stop = new AbortController();
    const t = io(env);
    const running = runSend([file, '--follow', '--interval', '20', '--no-resume'], t.cli, stop.signal);
    const until = async (n: number) => {
      for (let i = 0; i < 300 && stub!.received.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      expect(stub!.received.length).toBe(n);
    };
    await until(1);
    appendFileSync(file, 'second\nthird (no newline yet)');
    await until(2);
    appendFileSync(file, '\n');
    await until(3);
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, 'last of old\n');
    writeFileSync(file, 'new file line\n');
    await until(5);
    // copytruncate: the file shrinks, then grows again (a size check cannot see a rewrite to a larger size).
    writeFileSync(file, 'trunc\n');
    await until(6);
    stop.abort();
    expect(await running).toBe(0);
    expect(stub!.received).toEqual([
      'first',
      'second',
      'third (no newline yet)',
      'last of old',
      'new file line',
      'trunc',
    ]);
  });

  it('derives a source from the file name', () => {
    expect(sourceFromName('/var/log/nginx-access.log.1')).toBe('nginx-access');
    expect(sourceFromName('my app (prod).txt')).toBe('my-app-prod-');
    expect(sourceFromName('-')).toBe('stdin');
  });
});

describe('logfaas send (built CLI): errors and exit codes', () => {
  it('refuses a binary file with one line, exit 1, nothing sent', async () => {
    const env = await gateway();
    const bin = join(dir, 'image.png');
    writeFileSync(bin, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13, 1, 2, 3]));
    const r = await cli(['send', bin], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^logfaas send: .*image\.png looks binary.*nothing was sent\n$/);
    expect(stub!.requests).toHaveLength(0);
  });

  it('refuses a missing file before sending anything, exit 1', async () => {
    const env = await gateway();
    const ok = writeLog('ok.log', lines(10));
    const r = await cli(['send', ok, join(dir, 'nope.log')], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^logfaas send: cannot read .*nope\.log: no such file; nothing was sent\n$/);
    expect(stub!.requests).toHaveLength(0);
  });

  it('exits 3 when the gateway is unreachable', async () => {
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    const r = await cli(['send', writeLog('x.log', lines(3)), '--gateway', `http://127.0.0.1:${port}`], {});
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^logfaas send: cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*\n$/,
    );
  });

  it('exits 4 on a wrong password', async () => {
    const env = await gateway();
    const r = await cli(['send', writeLog('y.log', lines(3)), '--password', 'wrong'], env);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      `logfaas send: authentication failed at ${stub!.url} for user admin: the password from --password was refused\n`,
    );
    expect(stub!.requests).toHaveLength(0);
  });

  it('exits 1 with the confirmed count when the gateway fails mid-send, and 2 on a bad flag', async () => {
    const env = await gateway({ failAfter: 2 });
    const r = await cli(
      ['send', writeLog('z.log', lines(5000)), '--batch-lines', '1000', '--parallel', '1'],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'logfaas send: gateway answered 500 (simulated failure); 2,000 lines confirmed and saved: run the same command again to resume\n',
    );
    expect((await cli(['send', '--bogus'], env)).code).toBe(2);
    expect((await cli(['send', '--help'], env)).stdout).toContain('Examples:');
  });
});

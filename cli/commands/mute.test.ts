// `logfaas mute` / `unmute` against the real stats handler on a local socket (served at the gateway's
// /function/stats paths): usage errors, auth, list, round trip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, serve } from '../../core/http/serve.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV } from '../../core/kv/types.js';
import { loadStatsConfig } from '../../functions/stats/config.js';
import { createStatsHandler } from '../../functions/stats/handler.js';
import { captureIo, serveOpts } from '../../test/support/cli-io.js';
import { UsageError } from '../command.js';
import { muteCommand, parseForDuration, unmuteCommand } from './mute.js';

let kv: KV;
let server: RunningServer;
let env: Record<string, string>;
beforeAll(async () => {
  kv = await createMemoryKv();
  const config = loadStatsConfig({ SECRETS_DIR: '/nonexistent', LOGFAAS_ADMIN_PASSWORD: 'pw' });
  server = await serve(createStatsHandler({ kv, config }), serveOpts);
  env = { OPENFAAS_URL: server.url, OPENFAAS_PASSWORD: 'pw', USER: 'ana', DATA_DIR: '/nonexistent' };
});
afterAll(async () => {
  await server?.close();
  await kv?.close();
});

describe('logfaas mute / unmute', () => {
  it.each([
    [[], /expected SOURCE TEMPLATE_ID \(or --list\)/],
    [['web'], /expected SOURCE TEMPLATE_ID/],
    [['web', 't1', 'extra'], /expected SOURCE TEMPLATE_ID/],
    [['web', 't1', '--for', '2'], /--for must be a duration/],
    [['web', 't1', '--for', 'soon'], /--for must be a duration/],
    [['web', 't1', '--for', '0s'], /--for must be a duration/],
    [['--list', 'web'], /--list takes no SOURCE/],
    [['--list', '--reason', 'x'], /--list takes no SOURCE/],
    [['web', 't1', '--nope'], /unknown option --nope/],
  ])('mute %j is a usage error (exit 2)', async (argv, msg) => {
    const run = muteCommand.run(argv, captureIo(env).cli);
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(msg);
  });

  it('unmute needs exactly SOURCE TEMPLATE_ID', async () => {
    await expect(unmuteCommand.run(['web'], captureIo(env).cli)).rejects.toThrow(
      /expected SOURCE TEMPLATE_ID/,
    );
  });

  it('reads --for with units', () => {
    expect(parseForDuration('90s')).toBe(90_000);
    expect(parseForDuration('1.5h')).toBe(5_400_000);
    expect(parseForDuration('2w')).toBe(14 * 86_400_000);
    expect(parseForDuration('10')).toBeUndefined();
  });

  it('mutes, lists, replaces and unmutes; a wrong password is exit 4', async () => {
    const a = captureIo(env);
    expect(await muteCommand.run(['web', 't1', '--for', '2h', '--reason', 'deploy noise'], a.cli)).toBe(0);
    expect(a.buf.out).toMatch(/^muted: t1 of "web", until \d{4}-.*Z, set .* by ana, reason "deploy noise"/);
    const b = captureIo(env);
    expect(await muteCommand.run(['--list'], b.cli)).toBe(0);
    expect(b.buf.out).toMatch(/^1 active mute\(s\)\n- t1 of "web", until/);
    const c = captureIo(env);
    expect(await muteCommand.run(['web', 't1', '--json'], c.cli)).toBe(0);
    expect(JSON.parse(c.buf.out)).toMatchObject({
      replaced: true,
      mute: { source: 'web', templateId: 't1', by: 'ana' },
    });
    const d = captureIo({ ...env, OPENFAAS_PASSWORD: 'nope' });
    expect(await muteCommand.run(['web', 't2'], d.cli)).toBe(4);
    expect(d.buf.err).toMatch(/authentication failed .* the password from OPENFAAS_PASSWORD was refused/);
    const e = captureIo(env);
    expect(await unmuteCommand.run(['web', 't1'], e.cli)).toBe(0);
    expect(e.buf.out).toBe('unmuted: t1 of web\n');
    const f = captureIo(env);
    expect(await unmuteCommand.run(['web', 't1'], f.cli)).toBe(1);
    expect(f.buf.err).toMatch(/stats answered 404 \(t1 of web is not muted\)/);
    const g = captureIo(env);
    expect(await muteCommand.run(['--list', '--json'], g.cli)).toBe(0);
    expect(JSON.parse(g.buf.out)).toEqual({ mutes: [] });
  });

  it('says so when the gateway is unreachable (exit 3)', async () => {
    const a = captureIo({ ...env, OPENFAAS_URL: 'http://127.0.0.1:9' });
    expect(await muteCommand.run(['--list'], a.cli)).toBe(3);
    expect(a.buf.err).toMatch(/cannot reach the gateway/);
  });
});

// Fuzzes the syslog connector's framing and parsing: random and malformed bytes, split anywhere, never
// throw, and every frame is either routed or counted as dropped. Then the same over real UDP and TCP
// sockets into `logfaas up`'s embedded stack (SYSLOG_PORT set): the valid messages sent among the
// garbage are all counted in stats, the rest is counted in /metrics, and the connector keeps serving.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deframer } from '../connectors/syslog/framing.js';
import { readMessage } from '../connectors/syslog/message.js';
import { seededRandom } from '../core/random.js';
import type { EmbeddedStack } from '../runner/embedded.js';
import { freePort } from '../runner/free-port.js';
import { startFuzzStack } from './support/fuzz-stack.js';

/** Malformed frames that end where they claim to: the frame after one is read intact. */
const COMPLETE = [
  '<13>Dec  7 06:04:18 h ok: fine\n',
  '99999999999 x\n',
  '0 \n',
  '<999>x\n',
  '<>\n',
  '<13\n',
  '<13>1 2026-01-01T00:00:00Z\n',
  '<13>1 - - - - - [unclosed\n',
  '\u0000\u0000\u0000',
  '\r\n\r\n',
  '<13>Dec  7 06:04:18 h app: \u00ff\ufffd bad utf8 \n',
  '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003\n', // a TLS ClientHello on the plain port
  `<13>${'x'.repeat(70_000)}\n`,
  `70000 ${'y'.repeat(70_000)}`,
];
/** Lengths that claim more than follows: octet counting cannot tell the next frame from their tail. */
const MALFORMED = [...COMPLETE, '4294967296 \n', '5 <13>', '12 <13>abc'];

function randomBytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    // Bias towards the bytes the framing and the header care about.
    const x = r();
    b[i] =
      x < 0.1
        ? 0x0a
        : x < 0.15
          ? 0x3c
          : x < 0.2
            ? 0x3e
            : x < 0.3
              ? 0x30 + Math.floor(r() * 10)
              : x < 0.35
                ? 0x20
                : Math.floor(r() * 256);
  }
  return b;
}

describe('syslog framing and parsing fuzz (pure)', () => {
  it('never throws; any split of a stream gives the same frames; each frame is routed or counted', () => {
    const r = seededRandom(515);
    for (let round = 0; round < 300; round++) {
      const parts = Array.from({ length: 1 + Math.floor(r() * 8) }, () =>
        r() < 0.5
          ? randomBytes(r, Math.floor(r() * 3000))
          : Buffer.from(MALFORMED[Math.floor(r() * MALFORMED.length)], 'latin1'),
      );
      const stream = Buffer.concat(parts);
      const run = (chunks: Buffer[]) => {
        const out: string[] = [];
        const d = new Deframer(65_536, {
          frame: (b, s, e) => out.push(b.toString('latin1', s, e)),
          problem: (p) => out.push(`!${p}`),
        });
        for (const c of chunks) d.push(c);
        d.end();
        return out;
      };
      const whole = run([stream]);
      const cuts: Buffer[] = [];
      for (let i = 0; i < stream.length; ) {
        const k = 1 + Math.floor(r() * 700);
        cuts.push(stream.subarray(i, i + k));
        i += k;
      }
      expect(run(cuts)).toEqual(whole);
      for (const f of whole) {
        if (f.startsWith('!')) continue;
        expect(f.length).toBeLessThanOrEqual(65_536);
        const m = readMessage(Buffer.from(f, 'latin1').toString('utf8'));
        if (typeof m === 'object') expect(m.line).not.toMatch(/[\r\n]/);
        else expect(['empty', 'bad_pri', 'bad_header', 'binary']).toContain(m);
      }
    }
  });
});

describe('syslog fuzz over sockets into logfaas up (embedded)', () => {
  let stack: EmbeddedStack;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    stack = await startFuzzStack('fuzz:', 'logfaas-fuzz-syslog-', {
      SYSLOG_PORT: String(port),
      SYSLOG_HOST: '127.0.0.1',
      SYSLOG_BATCH_WAIT: '50ms',
    });
  });
  afterAll(() => stack?.stop());

  it('counts every valid message among random and malformed ones, drops and counts the rest, keeps serving', async () => {
    expect(stack.syslog?.tcpPort).toBe(port);
    const r = seededRandom(77);
    const valid = (i: number) =>
      `<14>1 ${new Date().toISOString()} fuzz-host fuzz-ok ${i} - - valid message ${i}\n`;
    let sent = 0;
    const udp = createSocket('udp4');
    // Connections of valid messages among malformed frames that end where they claim to, and
    // connections of random bytes and any malformed frame (cut mid-stream or closed), interleaved.
    for (let conn = 0; conn < 40; conn++) {
      const garbage = conn % 2 === 1;
      const chunks: Buffer[] = [];
      for (let k = 0; k < 20; k++) {
        const x = r();
        if (garbage) {
          if (x < 0.5) chunks.push(Buffer.from(MALFORMED[Math.floor(r() * MALFORMED.length)], 'latin1'));
          else chunks.push(randomBytes(r, Math.floor(r() * 2000)));
        } else if (x < 0.5) chunks.push(Buffer.from(valid(sent++)));
        else chunks.push(Buffer.from(COMPLETE[Math.floor(r() * COMPLETE.length)], 'latin1'));
      }
      await new Promise<void>((resolve) => {
        const c = connect(port, '127.0.0.1', () => {
          for (const ch of chunks) c.write(ch);
          if (garbage && r() < 0.5) c.destroy();
          else c.end();
        });
        c.on('close', () => resolve());
        c.on('error', () => resolve());
      });
      for (let k = 0; k < 10; k++) {
        const dgram = r() < 0.3 ? Buffer.from(valid(sent++)) : randomBytes(r, Math.floor(r() * 1500));
        await new Promise<void>((res) => udp.send(dgram, port, '127.0.0.1', () => res()));
      }
    }
    udp.close();
    const metrics = async () => {
      const text = await (await fetch(stack.syslog?.metricsUrl as string)).text();
      const num = (re: RegExp) => [...text.matchAll(re)].reduce((s, m) => s + Number(m[1]), 0);
      return {
        text,
        received: num(/^syslog_messages_received_total\{[^}]*\} (\d+)$/gm),
        dropped: num(/^syslog_messages_dropped_total\{[^}]*\} (\d+)$/gm),
        accepted: num(/^syslog_messages_accepted_total (\d+)$/gm),
      };
    };
    const stats = async () =>
      (await (await fetch(`${stack.gatewayUrl}/function/stats`)).json()) as {
        total: number;
        by_source: Record<string, number>;
      };
    // Valid ones (and random frames that happen to be valid syslog) are accepted; the rest are counted.
    const m = await (async () => {
      const until = Date.now() + 30_000;
      for (;;) {
        const v = await metrics();
        const s = await stats();
        if (
          (v.accepted + v.dropped >= v.received &&
            s.total >= v.accepted &&
            (s.by_source['fuzz-ok'] ?? 0) >= sent) ||
          Date.now() > until
        )
          return v;
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const s = await stats();
    expect(s.by_source['fuzz-ok']).toBe(sent);
    expect(s.total).toBe(m.accepted);
    expect(m.accepted + m.dropped).toBe(m.received);
    expect(m.dropped).toBeGreaterThan(0);
    expect(m.text).toMatch(/reason="bad_frame"/);
    expect(m.text).toMatch(/reason="too_large"/);
    expect(m.text).toMatch(/reason="bad_pri"/);
    // Still serving: one more message after all of that is counted.
    await new Promise<void>((resolve) => {
      const c = connect(port, '127.0.0.1', () => c.end('<14>1 - fuzz-host after - - - still here\n'));
      c.on('close', () => resolve());
    });
    const until = Date.now() + 10_000;
    while (((await stats()).by_source.after ?? 0) < 1 && Date.now() < until)
      await new Promise((res) => setTimeout(res, 100));
    expect((await stats()).by_source.after).toBe(1);
  }, 60_000);
});

// The process stack on quorum queues (AMQP_QUEUE_TYPE=quorum, as docker-compose runs it): every queue
// is a quorum queue under BROKER_NAMESPACE, 10,000 lines are counted exactly once, and a rejected
// message goes through the dead-letter queue and the gateway's list and replay as on classic queues.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueArguments } from '../../core/broker/queue-args.js';
import { type Broker, DEAD_LETTER_QUEUE, queueFor } from '../../core/broker/types.js';
import type { ProcessStack } from '../../runner/processes.js';
import { amqpUrl, uniqueName } from '../services.js';
import { mixedLines } from './lines.js';
import { parseLogConsumed, poll, servicesUp, startTestStack, stopTestStack, testBroker } from './stack.js';

const up = await servicesUp();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether RabbitMQ holds `name` as a quorum queue with these arguments (a redeclare must match). */
async function isQuorum(name: string, deadLetterQueue?: string): Promise<boolean | string> {
  const conn = await connect(amqpUrl());
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    const args = queueArguments({ deadLetterQueue }, { type: 'quorum', deliveryLimit: 10 });
    return await ch.assertQueue(name, { durable: true, arguments: args }).then(
      () => true,
      (e: Error) => e.message,
    );
  } finally {
    await conn.close().catch(() => {});
  }
}

describe.skipIf(!up)('pipeline end to end on quorum queues', () => {
  const ns = uniqueName('e2e-qq');
  const password = 'e2e-quorum-password';
  let stack: ProcessStack;
  let broker: Broker;

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'logfaas-e2e-qq-'));
    stack = await startTestStack({
      ns,
      dataDir,
      password,
      env: { AMQP_QUEUE_TYPE: 'quorum' },
      envFor: {
        'detect-anomaly': { MIN_TRAINING: '100000000' },
        connector: { MAX_ATTEMPTS: '3', REBUILD_INTERVAL: '1s' },
      },
    });
    broker = await testBroker(ns, dataDir, { type: 'quorum', deliveryLimit: 10 });
  }, 60_000);

  afterAll(() => stopTestStack({ ns, stack, broker }));

  const stats = async () =>
    (await (await fetch(`${stack.gatewayUrl}/function/stats`)).json()) as { total: number };

  it('declares quorum queues and counts 10,000 lines exactly once', async () => {
    await parseLogConsumed(broker);
    const dlq = `${ns}.${DEAD_LETTER_QUEUE}`;
    for (const fn of ['parse-log', 'detect-anomaly', 'notify'])
      expect(await isQuorum(`${ns}.${queueFor(fn)}`, dlq), fn).toBe(true);
    expect(await isQuorum(dlq)).toBe(true);
    const { lines } = mixedLines(10_000);
    const t0 = Date.now();
    const res = await fetch(`${stack.gatewayUrl}/function/producer?source=e2e-qq`, {
      method: 'POST',
      body: `${lines.join('\n')}\n`,
    });
    expect(((await res.json()) as { accepted: number }).accepted).toBe(10_000);
    await poll(stats, (v) => v.total >= 10_000, 30_000);
    console.log(`e2e quorum: 10,000 lines visible in stats in ${Date.now() - t0} ms`);
    await sleep(1_500); // a late redelivery would show up as over-counting now
    expect((await stats()).total).toBe(10_000);
  });

  it('dead-letters a rejected message and lists and replays it through the gateway', async () => {
    await broker.publish('logs.parsed', new TextEncoder().encode('not an event\n'), {
      messageId: uniqueName('poison'),
      contentType: 'application/x-ndjson',
    });
    const cli = (args: string[]) =>
      execFileSync(
        process.execPath,
        ['dist/cli.mjs', ...args, '--gateway', stack.gatewayUrl, '--password', password],
        { encoding: 'utf8' },
      );
    const list = await poll(
      async () =>
        JSON.parse(cli(['dlq', 'list', '--json'])) as { total: number; messages: { reason: string }[] },
      (v) => v.total > 0,
      15_000,
    );
    expect(list.messages[0].reason).toMatch(/HTTP 400/);
    expect(cli(['dlq', 'replay'])).toMatch(/replayed 1 message/);
    const back = await poll(
      () => broker.get(DEAD_LETTER_QUEUE),
      (d) => d !== null,
      15_000,
    );
    expect(back?.headers['x-dead-letter-reason']).toMatch(/HTTP 400/);
    await back?.ack();
  });
});

// GATEWAY_INVOKE=false against real RabbitMQ: the connector finds functions through the gateway but calls
// their replicas itself, round-robin, fails over from one that refuses the connection, and reports every
// call so the gateway's metrics still count them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectAmqpBroker } from '../../core/broker/amqp.js';
import { namespaced } from '../../core/broker/namespace.js';
import { type Broker, queueFor } from '../../core/broker/types.js';
import { type RunningServer, serve } from '../../core/http/serve.js';
import { silentLogger } from '../../core/log.js';
import type { FunctionSpec } from '../../gateway/stack.js';
import type { Upstream } from '../../gateway/upstream.js';
import { dropNamespace } from '../../runner/drop-namespace.js';
import { amqpUrl, requireService, tcpReachable, uniqueName } from '../../test/services.js';
import {
  type GatewayAndConnector,
  startGatewayAndConnector,
  waitFor,
} from '../../test/support/gateway-connector.js';

const rabbitUp = await requireService('rabbitmq', () => tcpReachable(amqpUrl(), 5672));
const enc = (s: string) => new TextEncoder().encode(s);

const spec = (name: string, annotations: Record<string, string>): FunctionSpec => ({
  name,
  annotations,
  image: name,
  labels: {},
  environment: {},
  secrets: [],
});

describe.skipIf(!rabbitUp)('connector with GATEWAY_INVOKE=false', () => {
  let broker: Broker;
  let ns: string;
  let stack: GatewayAndConnector;
  const servers: RunningServer[] = [];
  /** Bodies each replica was called with. */
  const got: Record<string, string[]> = {};
  const paths = new Set<string>();

  const replica = async (name: string, respond: (body: string) => Response) => {
    const s = await serve(
      async (req) => {
        const body = await req.text();
        paths.add(new URL(req.url).pathname);
        (got[name] ??= []).push(body);
        return respond(body);
      },
      { port: 0, host: '127.0.0.1', maxBodyBytes: 1e6, maxInflight: 100, timeoutMs: 5_000 },
    );
    servers.push(s);
    return s;
  };

  beforeEach(async () => {
    ns = uniqueName('direct');
    broker = namespaced(await connectAmqpBroker({ url: amqpUrl(), logger: silentLogger }), ns);
    const upper = (b: string) => new Response(b.toUpperCase());
    const a = await replica('upper-1', upper);
    const b = await replica('upper-2', upper);
    const sink = await replica('sink', () => new Response(null, { status: 204 }));
    // The gateway would send callers elsewhere: direct calls must never go through it.
    const nowhere: Upstream = { kind: 'url', urls: ['http://127.0.0.1:9'] };
    stack = await startGatewayAndConnector({
      broker,
      functions: [
        spec('upper', { topic: 'in.upper', 'output-topic': 'out.upper' }),
        spec('sink', { topic: 'out.upper' }),
      ],
      upstreams: new Map([
        ['upper', nowhere],
        ['sink', nowhere],
      ]),
      direct: { template: 'http://127.0.0.1:9/{name}', urls: { upper: [a.url, b.url], sink: [sink.url] } },
      reportIntervalMs: 50,
    });
    await stack.connector.ready;
  });

  afterEach(async () => {
    await stack.connector.stop();
    await stack.gw.close();
    await broker.close();
    for (const s of servers.splice(0)) await s.close().catch(() => {});
    await dropNamespace({ amqpUrl: amqpUrl(), ns, queues: ['upper', 'sink'].map(queueFor) });
    for (const k of Object.keys(got)) delete got[k];
    paths.clear();
  });

  const metric = async (fn: string, code: number) => {
    const text = await (await fetch(`${stack.gw.url}/metrics`)).text();
    const m = new RegExp(
      `gateway_function_invocation_total\\{code="${code}",function_name="${fn}"\\} (\\d+)`,
    ).exec(text);
    return Number(m?.[1] ?? 0);
  };

  it('calls the replicas in turn, passes the output on, and the gateway counts every call', async () => {
    for (let i = 0; i < 10; i++) await broker.publish('in.upper', enc(`line ${i}`), { messageId: `m${i}` });
    await waitFor(
      () => got.sink?.length ?? 0,
      (n) => n === 10,
    );
    expect(got.sink.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `LINE ${i}`).sort());
    expect(got['upper-1']?.length).toBe(5);
    expect(got['upper-2']?.length).toBe(5);
    expect([...paths]).toEqual(['/']);
    await waitFor(
      () => metric('upper', 200),
      (n) => n === 10,
    );
    await waitFor(
      () => metric('sink', 204),
      (n) => n === 10,
    );
  });

  it('a replica that refuses connections is skipped: nothing is lost or retried', async () => {
    await servers[0].close();
    for (let i = 0; i < 6; i++) await broker.publish('in.upper', enc(`x${i}`), { messageId: `k${i}` });
    await waitFor(
      () => got.sink?.length ?? 0,
      (n) => n === 6,
    );
    expect(got['upper-2']).toHaveLength(6);
    await waitFor(
      () => metric('upper', 200),
      (n) => n === 6,
    );
    expect(await metric('upper', 502)).toBe(0);
  });

  it('with no replica up the message waits (no attempt used up) and goes through once one is back', async () => {
    const port = servers[0].port;
    await servers[0].close();
    await servers[1].close();
    await broker.publish('in.upper', enc('late'), { messageId: 'late' });
    await waitFor(
      () => metric('upper', 502),
      (n) => n >= 2,
    );
    // A replica comes back where the connector looks for it.
    const again = await serve(async (req) => new Response((await req.text()).toUpperCase()), {
      port,
      host: '127.0.0.1',
      maxBodyBytes: 1e6,
      maxInflight: 100,
      timeoutMs: 5_000,
    });
    servers.push(again);
    await waitFor(
      () => got.sink ?? [],
      (v) => v.length === 1,
      15_000,
    );
    expect(got.sink).toEqual(['LATE']);
  });
});

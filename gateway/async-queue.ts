// /async-function/{name}: the request goes through the broker and a worker invokes the function later,
// then POSTs the result to X-Callback-Url (the OpenFaaS queue-worker's contract).
import type { Broker, Consumer } from '../core/broker/types.js';
import type { Logger } from '../core/log.js';
import type { AsyncCall } from './handler.js';
import { callUpstream, type Upstream } from './upstream.js';

export const ASYNC_TOPIC = 'gateway.async';
export const ASYNC_QUEUE = 'logfaas.gateway-async';

export async function createAsyncQueue(broker: Broker): Promise<(call: AsyncCall) => Promise<void>> {
  await broker.declareQueue({ name: ASYNC_QUEUE, topics: [ASYNC_TOPIC] });
  return (call) =>
    broker.publish(ASYNC_TOPIC, call.body, {
      messageId: call.callId,
      headers: {
        'x-function': call.name,
        'x-path': call.pathAndQuery,
        'x-method': call.method,
        'x-request-headers': JSON.stringify(call.headers),
        ...(call.callbackUrl ? { 'x-callback-url': call.callbackUrl } : {}),
      },
    });
}

export async function startAsyncWorker(opts: {
  broker: Broker;
  upstream: (name: string) => Upstream | undefined;
  timeoutMs: number;
  logger: Logger;
  concurrency: number;
  fetch?: typeof fetch;
}): Promise<Consumer> {
  const f = opts.fetch ?? fetch;
  return opts.broker.consume(
    ASYNC_QUEUE,
    async (d) => {
      const name = d.headers['x-function'] ?? '';
      const up = opts.upstream(name);
      let status = 404;
      let body: ArrayBuffer = new TextEncoder().encode(`function not found: ${name}`).buffer as ArrayBuffer;
      let contentType = 'text/plain';
      if (up) {
        let headers: Record<string, string> = {};
        try {
          headers = JSON.parse(d.headers['x-request-headers'] ?? '{}');
        } catch {}
        const res = await callUpstream(
          up,
          name,
          {
            method: d.headers['x-method'] ?? 'POST',
            pathAndQuery: d.headers['x-path'] ?? '/',
            headers: new Headers({ ...headers, 'x-call-id': d.messageId }),
            body: d.body.slice().buffer as ArrayBuffer,
          },
          opts.timeoutMs,
        );
        status = res.status;
        body = await res.arrayBuffer();
        contentType = res.headers.get('content-type') ?? contentType;
      }
      const cb = d.headers['x-callback-url'];
      if (cb) {
        try {
          await f(cb, {
            method: 'POST',
            body,
            headers: {
              'content-type': contentType,
              'x-call-id': d.messageId,
              'x-function-status': String(status),
              'x-function-name': name,
            },
            signal: AbortSignal.timeout(opts.timeoutMs),
          });
        } catch (e) {
          // As the OpenFaaS queue-worker: a failed callback is logged, the invocation is not repeated.
          opts.logger.warn('async callback failed', { callId: d.messageId, err: String(e) });
        }
      }
      await d.ack();
    },
    { prefetch: opts.concurrency },
  );
}

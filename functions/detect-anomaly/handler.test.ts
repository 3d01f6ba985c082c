import { describe, expect, it } from 'vitest';
import type { AnomalyResult, Level, LogEvent } from '../../core/event.js';
import { EVENT_BATCH_TYPE, encodeEventBatch } from '../../core/event-batch.js';
import { EVENT_BATCH_BIN_TYPE, encodeEventBatchBin } from '../../core/event-batch-bin.js';
import { bytesRequest, knownBytes } from '../../core/http/bytes.js';
import { readIncidents } from '../../core/incident.js';
import { createMemoryKv } from '../../core/kv/memory.js';
import type { KV, WriteOp } from '../../core/kv/types.js';
import { type Logger, silentLogger } from '../../core/log.js';
import { MODEL_KEYS, readModelStatus } from '../../core/model-status.js';
import { DEFAULT_DETECT, type DetectConfig, loadDetectConfig } from './config.js';
import { rng } from './forest.js';
import { createDetectAnomalyHandler } from './handler.js';

const T0 = Date.UTC(2026, 1, 7);
const ROUTES = [
  ['GET', '/api/users/:id', 20],
  ['GET', '/api/products', 40],
  ['POST', '/api/orders', 120],
] as const;

function ev(
  i: number,
  o: Partial<{
    level: Level;
    status: number;
    latency: number;
    route: number;
    source: string;
    msg: string;
  }> = {},
): LogEvent {
  const [method, route, ms] = ROUTES[o.route ?? i % ROUTES.length];
  const path = route.replace(':id', String(1000 + i));
  const status = o.status ?? 200;
  const msg = o.msg ?? `${method} ${path} ${status}`;
  return {
    v: 1,
    timestamp: new Date(T0 + i * 100).toISOString(),
    source: o.source ?? 'api',
    level: o.level ?? 'info',
    message: msg,
    format: 'json',
    templateId: o.msg ? `t-${o.msg.slice(0, 8)}` : `t-${method}-${route}`,
    template: o.msg ?? `${method} <*> <*>`,
    params: [path, String(status)],
    http: {
      method,
      path,
      status,
      latency_ms: o.latency ?? Math.round(ms * (0.8 + (0.4 * ((i * 7919) % 100)) / 100)),
    },
    raw: msg,
  };
}

const ndjson = (events: unknown[]) =>
  events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n');

async function post(h: (r: Request) => Promise<Response>, body: string, batchId?: string) {
  const res = await h(
    new Request('http://x/', { method: 'POST', body, headers: batchId ? { 'x-batch-id': batchId } : {} }),
  );
  const text = await res.text();
  const lines =
    res.status === 200
      ? text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as AnomalyResult)
      : [];
  return { res, text, anomalies: lines };
}

function setup(over: Partial<DetectConfig> = {}, kv?: KV) {
  const config: DetectConfig = {
    ...DEFAULT_DETECT,
    minTraining: 300,
    reservoirPerBatch: 200,
    trees: 50,
    ...over,
  };
  return (async () => {
    const store = kv ?? (await createMemoryKv());
    let now = T0;
    const handler = createDetectAnomalyHandler({ kv: store, config, logger: silentLogger, now: () => now });
    return { kv: store, handler, config, tick: (ms: number) => (now += ms) };
  })();
}

describe('detect-anomaly handler: HTTP contract', () => {
  it('405 on GET, 400 JSON when no line is usable, rejected lines counted otherwise', async () => {
    const { handler } = await setup();
    expect((await handler(new Request('http://x/'))).status).toBe(405);
    const bad = await post(handler, 'not json\n[1,2]\n{"foo":1}');
    expect(bad.res.status).toBe(400);
    expect(JSON.parse(bad.text).details.rejected).toBe(3);
    const mixed = await post(handler, ndjson(['garbage', ev(1)]), 'b1');
    expect(mixed.res.status).toBe(200);
    expect(mixed.res.headers.get('x-events-processed')).toBe('1');
    expect(mixed.res.headers.get('x-lines-rejected')).toBe('1');
    expect(mixed.res.headers.get('x-batch-id')).toBe('b1/detect-anomaly');
    expect(mixed.res.headers.get('content-type')).toBe('application/x-ndjson');
  });

  it('scores events with missing fields, negative latency and unknown levels (never a 500)', async () => {
    const { handler } = await setup();
    const weird = [
      { message: 'only a message' },
      { ...ev(2), level: 'verbose', http: { latency_ms: -5, status: 'x' } },
      { ...ev(3), timestamp: 'yesterday', params: 'nope', source: 42 },
      { http: { method: 'GET', path: '/x', status: 503 } },
    ];
    const r = await post(handler, ndjson(weird));
    expect(r.res.status).toBe(200);
    expect(r.res.headers.get('x-events-processed')).toBe('4');
    // A lone 503 on an endpoint with no history is not known to be unusual (explain.ts unusualError).
    expect(r.anomalies).toEqual([]);
  });
});

describe('rules before a model exists', () => {
  it('flags one 500 and one very slow request in normal traffic, with reasons, and nothing else', async () => {
    const { handler } = await setup({ minTraining: 1_000_000 });
    const events = Array.from({ length: 1800 }, (_, i) => ev(i));
    events[1650] = ev(1650, { status: 500, level: 'error' });
    events[1700] = ev(1700, { latency: 40 * 120, route: 2 });
    const r = await post(handler, ndjson(events), 'r1');
    expect(r.anomalies.map((a) => a.detector)).toEqual(['rules', 'rules']);
    expect(r.anomalies[0].reasons).toEqual([
      'HTTP 500, unusual for GET /api/users/:id (0 5xx in 550 requests before)',
    ]);
    expect(r.anomalies[0].score).toBe(1);
    expect(r.anomalies[1].reasons[0]).toMatch(/^latency 4,800 ms, \d+x the p50 of POST \/api\/orders/);
  });

  it('reports an error burst as incidents (error rate, new template), not line by line', async () => {
    const { handler, kv } = await setup({ minTraining: 1_000_000 });
    // 10 events/s: 250 s of normal traffic (past the warm-up), then 10 s of one new 503 error.
    const events = Array.from({ length: 2600 }, (_, i) =>
      i >= 2500 ? ev(i, { status: 503, level: 'error', msg: 'upstream timed out', route: 0 }) : ev(i),
    );
    for (let b = 0; b < events.length; b += 500)
      await post(handler, ndjson(events.slice(b, b + 500)), `eb${b}`);
    const incidents = await readIncidents(kv, { now: T0, quietMs: Number.POSITIVE_INFINITY });
    const byKind = Object.fromEntries(incidents.map((x) => [x.kind, x]));
    expect(Object.keys(byKind).sort()).toEqual(['error_rate', 'event_anomaly', 'new_template']);
    expect(byKind.error_rate).toMatchObject({ source: 'api', count: 100, status: 'open', typical: 0 });
    expect(byKind.error_rate.reasons[0]).toMatch(
      /^error rate 100\.0% \(100 errors in the bucket\), typical 0\.00%/,
    );
    expect(byKind.error_rate.examples).toHaveLength(5);
    expect(byKind.new_template).toMatchObject({ templateId: 't-upstream', count: 100 });
    // The first 503 of an endpoint with 833 clean requests is news on its own; the other 99 are the burst's.
    expect(byKind.event_anomaly.count).toBe(1);
  });
});

describe("parse-log's compact event batch", () => {
  const forms = [
    {
      form: 'JSON',
      type: EVENT_BATCH_TYPE,
      encode: (events: LogEvent[]): BodyInit => encodeEventBatch(events),
      bad: (): BodyInit => '{"v":1}',
      error: /application\/vnd.logfaas.events\+json/,
    },
    {
      form: 'binary',
      type: EVENT_BATCH_BIN_TYPE,
      encode: (events: LogEvent[]): BodyInit => encodeEventBatchBin(events),
      bad: (events: LogEvent[]): BodyInit => encodeEventBatchBin(events).subarray(0, 300),
      error: /application\/vnd.logfaas.events.bin body: the body ends early/,
    },
  ];
  it.each(forms)(
    'scores the $form form exactly as the same events in NDJSON, and answers 400 to a malformed one',
    async ({ type, encode, bad, error }) => {
      const events = Array.from({ length: 1800 }, (_, i) => ev(i));
      events[1650] = ev(1650, { status: 500, level: 'error' });
      events[1700] = ev(1700, { latency: 40 * 120, route: 2 });
      // What the binary form's lean decode leaves out until an event is reported (input.ts).
      for (const e of [events[1650], events[1700]]) {
        e.timestampOriginal = 'the time as written';
        e.params.push('a-third-param');
        e.http!.client_ip = '10.0.0.9';
      }
      const a = await setup({ minTraining: 1_000_000 });
      const b = await setup({ minTraining: 1_000_000 });
      const viaNdjson = await post(a.handler, ndjson(events), 'r1');
      const headers = { 'content-type': type, 'x-batch-id': 'r1' };
      const res = await b.handler(
        new Request('http://x/', { method: 'POST', body: encode(events), headers }),
      );
      expect(res.status).toBe(200);
      const viaBatch = (await res.text())
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AnomalyResult);
      expect(viaBatch).toEqual(viaNdjson.anomalies);
      expect(viaBatch.map((x) => x.event)).toEqual([events[1650], events[1700]]);
      expect(await b.kv.hgetall(MODEL_KEYS.norms('api'))).toEqual(
        await a.kv.hgetall(MODEL_KEYS.norms('api')),
      );
      const refused = await b.handler(
        new Request('http://x/', { method: 'POST', body: bad(events), headers }),
      );
      expect(refused.status).toBe(400);
      expect((await refused.json()).error).toMatch(error);
    },
  );

  it('scores binary batches in flight together as each alone (events reused from batch to batch)', async () => {
    const batch = (source: string, bad: number) => {
      const events = Array.from({ length: 1800 }, (_, i) => ev(i, { source }));
      events[bad] = ev(bad, { source, status: 500, level: 'error' });
      return encodeEventBatchBin(events);
    };
    const round = (r: number) => [
      batch(`api${r}`, 1650),
      batch(`web${r}`, 1700),
      batch(`db${r}`, 1750),
      batch(`ui${r}`, 1660),
    ];
    const send = (h: (r: Request) => Promise<Response>, body: Uint8Array<ArrayBuffer>, id: string) =>
      h(
        new Request('http://x/', {
          method: 'POST',
          body,
          headers: { 'content-type': EVENT_BATCH_BIN_TYPE, 'x-batch-id': id },
        }),
      ).then((r) => r.text());
    const { handler } = await setup({ minTraining: 1_000_000 });
    // Twice, other sources each time: the second round overwrites the events the first one left.
    for (let r = 0; r < 2; r++) {
      const bodies = round(r);
      const alone: string[] = [];
      for (const [i, body] of bodies.entries())
        alone.push(await send((await setup({ minTraining: 1_000_000 })).handler, body, `b${i}`));
      const together = await Promise.all(bodies.map((body, i) => send(handler, body, `r${r}-${i}`)));
      expect(together.map((t) => JSON.parse(t).event)).toEqual(alone.map((t) => JSON.parse(t).event));
      expect(together.map((t) => JSON.parse(t).reasons)).toEqual(alone.map((t) => JSON.parse(t).reasons));
    }
  });

  it('answers 400 with the reasons, and writes nothing, when the binary rows skimmed all fail to decode', async () => {
    // Each row readable to its end (so the skim lists it) but with a level that is not one.
    const events = Array.from({ length: 20 }, (_, i) => ({ ...ev(i), level: 'loud' as Level }));
    const { handler, kv } = await setup({ minTraining: 1_000_000 });
    const res = await handler(
      new Request('http://x/', {
        method: 'POST',
        body: encodeEventBatchBin(events),
        headers: { 'content-type': EVENT_BATCH_BIN_TYPE, 'x-batch-id': 'all-bad' },
      }),
    );
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toMatch(/no usable LogEvent/);
    expect(body.details).toMatchObject({
      rejected: 20,
      reasons: expect.arrayContaining(['event 0: bad level']),
    });
    expect(await kv.keys('')).toEqual([]);
  });

  it("reads the server adapter's known bytes as req.text() would (BOM and bad UTF-8 included)", async () => {
    const events = Array.from({ length: 200 }, (_, i) => ev(i, i === 7 ? { status: 503, msg: 'ü ✓' } : {}));
    const utf8 = new TextEncoder().encode(`\uFEFF${encodeEventBatch(events)}`);
    // A stray continuation byte inside a JSON string (the message): replaced by U+FFFD either way.
    const at = Buffer.from(utf8).indexOf(Buffer.from('ü ✓')) + 2;
    const bad = Uint8Array.from([...utf8.subarray(0, at), 0x80, ...utf8.subarray(at)]);
    for (const body of [utf8, bad]) {
      const a = await setup({ minTraining: 1_000_000 });
      const b = await setup({ minTraining: 1_000_000 });
      const headers = { 'content-type': EVENT_BATCH_TYPE, 'x-batch-id': 'k1' };
      const plain = await a.handler(new Request('http://x/', { method: 'POST', body, headers }));
      const wrapped = bytesRequest('http://x/', { method: 'POST', body, headers });
      expect(knownBytes(wrapped)).toBe(body);
      const known = await b.handler(wrapped);
      expect([known.status, plain.status]).toEqual([200, 200]);
      expect(await known.text()).toBe(await plain.text());
      expect(await b.kv.hgetall(MODEL_KEYS.norms('api'))).toEqual(
        await a.kv.hgetall(MODEL_KEYS.norms('api')),
      );
    }
  });
});

describe('exactly-once effects', () => {
  it('a redelivered batch gets the same anomalies and writes nothing', async () => {
    const { handler, kv } = await setup();
    const body = ndjson([ev(1), ev(2, { status: 502, level: 'error' })]);
    const a = await post(handler, body, 'dup');
    const before = JSON.stringify(await kv.hgetall(MODEL_KEYS.norms('api')));
    const b = await post(handler, body, 'dup');
    expect(b.res.status).toBe(200);
    expect(b.anomalies).toEqual(a.anomalies);
    expect(JSON.stringify(await kv.hgetall(MODEL_KEYS.norms('api')))).toBe(before);
    expect((await kv.hgetall(MODEL_KEYS.norms('api')))._n).toBe('2');
  });
});

describe('store writes per batch', () => {
  it('after the warm-up a 500-event batch pushes <= 32 vectors and its means in one HSET', async () => {
    const kv = await createMemoryKv();
    const seen: WriteOp[][] = [];
    const spy: KV = Object.create(kv);
    spy.apply = (ops, o) => {
      if (o?.onceKey) seen.push(ops);
      return kv.apply(ops, o);
    };
    const { handler } = await setup({ minTraining: 400 }, spy);
    let i = 0;
    for (let b = 0; b < 4; b++)
      await post(handler, ndjson(Array.from({ length: 500 }, () => ev(i++))), `w${b}`);
    const last = seen.at(-1)!.filter((w) => w.key.startsWith('detect:'));
    const pushed = last.filter((w) => w.op === 'lpush').flatMap((w) => (w.op === 'lpush' ? w.values : []));
    expect(pushed.length).toBeLessThanOrEqual(32);
    const norms = last.filter((w) => w.key === MODEL_KEYS.norms('api'));
    expect(norms.filter((w) => w.op === 'hset')).toHaveLength(1);
    expect(norms.filter((w) => w.op === 'hincrbyfloat')).toHaveLength(0);
    // _n, 3 templates, 3 endpoints, one HSET.
    expect(norms.length).toBe(8);
  });
});

describe('model lifecycle across replicas', () => {
  it('trains once enough vectors are collected; another replica picks the version up; stats can read it', async () => {
    const { handler, kv, config } = await setup();
    const r = rng(3);
    let i = 0;
    const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const batch = (n: number) =>
      Array.from({ length: n }, () => {
        const route = Math.floor(r() * 3);
        const e = ev(i++, { route, latency: Math.round(ROUTES[route][2] * Math.exp(0.4 * gauss())) });
        // Query strings of varying length, so parameter length varies as it does in real traffic.
        e.params[0] += `?page=${'9'.repeat(1 + Math.floor(r() * 12))}`;
        e.message = `${e.http!.method} ${e.params[0]} 200`;
        return e;
      });
    for (let b = 0; b < 4; b++) await post(handler, ndjson(batch(400)), `t${b}`);
    const [status] = await readModelStatus(kv);
    expect(status).toMatchObject({
      source: 'api',
      detector: 'model',
      version: 1,
      contamination: 0.01,
      trees: 50,
    });
    expect(status.trainingSize).toBeGreaterThanOrEqual(300);
    expect(status.threshold).toBeGreaterThan(0.3);
    expect(status.features).toContain('latency');

    const replica = createDetectAnomalyHandler({ kv, config, logger: silentLogger, now: () => T0 });
    const events = batch(100);
    events[50] = ev(i, { latency: 5000, route: 0 });
    // Odd in ways no rule covers yet (the source is too young for the rarity rule): only the model sees it.
    const odd = ev(i + 1, { route: 1 });
    odd.params = [`/api/products?q=${'%27%20OR%201%3D1'.repeat(30)}`, '200'];
    odd.message = `GET ${odd.params[0]} 200`;
    events[70] = odd;
    const out = await post(replica, ndjson(events), 'replica-1');
    const slow = out.anomalies.find((a) => a.event.http?.latency_ms === 5000)!;
    expect(slow.modelVersion).toBe(1);
    expect(slow.reasons[0]).toMatch(/^latency 5,000 ms, \d+x the p50 of GET \/api\/users\/:id/);
    const flagged = out.anomalies.find((a) => a.event.params[0] === odd.params[0])!;
    expect(flagged.detector).toBe('model');
    expect(flagged.modelVersion).toBe(1);
    expect(flagged.score).toBeGreaterThan(0.55);
    expect(flagged.reasons.join('; ')).toMatch(/parameter of 496 chars .*, usual ~\d+/);
    expect((await readModelStatus(kv))[0].version).toBe(1);
  });

  it('ignores a corrupt or foreign model with a logged error and retrains', async () => {
    const errors: string[] = [];
    const logger: Logger = {
      ...silentLogger,
      error: (m, f) => void errors.push(m + JSON.stringify(f)),
      child: () => logger,
    };
    const kv = await createMemoryKv();
    const config = { ...DEFAULT_DETECT, minTraining: 300, reservoirPerBatch: 200, trees: 20 };
    const handler = createDetectAnomalyHandler({ kv, config, logger, now: () => T0 });
    let i = 0;
    const batch = () => ndjson(Array.from({ length: 200 }, () => ev(i++)));
    await post(handler, batch(), 'c0');
    await post(handler, batch(), 'c1');
    expect(errors).toEqual([]);
    expect((await readModelStatus(kv))[0].version).toBe(1);
    await kv.apply([
      {
        op: 'set',
        key: MODEL_KEYS.model('api'),
        value: Buffer.from('not a model at all').toString('base64'),
      },
      { op: 'hincrby', key: MODEL_KEYS.meta('api'), field: 'version', by: 1 },
    ]);
    const r = await post(handler, batch(), 'c2');
    expect(r.res.status).toBe(200);
    expect(errors.some((e) => e.startsWith('ignoring stored model'))).toBe(true);
    const status = (await readModelStatus(kv))[0];
    expect(status.version).toBe(3);
    expect(status.detector).toBe('model');
  });
});

describe('training lock and source cap', () => {
  it('a replica that cannot take the lock does not train; the next batch after release does', async () => {
    const { handler, kv } = await setup();
    let i = 0;
    const batch = () => ndjson(Array.from({ length: 200 }, () => ev(i++)));
    expect(await kv.setIfAbsent(MODEL_KEYS.lock('api'), 'other-replica', 60_000)).toBe(true);
    await post(handler, batch(), 'l0');
    await post(handler, batch(), 'l1');
    expect((await readModelStatus(kv))[0]).toMatchObject({ version: 0, detector: 'rules', collected: 400 });
    await kv.delIfEquals(MODEL_KEYS.lock('api'), 'other-replica');
    await post(handler, batch(), 'l2');
    expect((await readModelStatus(kv))[0]).toMatchObject({ version: 1, detector: 'model' });
  });

  it('tracks at most MAX_TRACKED_TOTAL templates and endpoints over all sources', async () => {
    const { handler, kv } = await setup({ maxTracked: 20, maxTrackedTotal: 30 });
    // 3 sources x 25 distinct templates (each event also names one of a few endpoints).
    for (const source of ['a', 'b', 'c'])
      await post(
        handler,
        ndjson(
          Array.from({ length: 25 }, (_, i) => ev(i, { source, msg: `${String(i).padStart(8, '0')} x` })),
        ),
        `flood-${source}`,
      );
    const tracked = async (source: string) =>
      Object.keys(await kv.hgetall(MODEL_KEYS.norms(source))).filter((f) => /^[te]:/.test(f)).length;
    const counts = await Promise.all(['a', 'b', 'c'].map(tracked));
    // a stops at MAX_TRACKED, b at what MAX_TRACKED_TOTAL leaves, c gets nothing new.
    expect(counts).toEqual([20, 10, 0]);
    expect(await kv.hgetall(MODEL_KEYS.tracked)).toEqual({ a: '20', b: '10' });
    // Every event is still counted and scored; only new keys stop being tracked.
    expect((await kv.hgetall(MODEL_KEYS.norms('c')))._n).toBe('25');
  });

  it('sources beyond MAX_SOURCES share the _other state', async () => {
    const { handler, kv } = await setup({ maxSources: 2 });
    await post(handler, ndjson([ev(1, { source: 'a' }), ev(2, { source: 'b' })]), 's0');
    await post(handler, ndjson([ev(3, { source: 'c' }), ev(4, { source: 'd' })]), 's1');
    expect((await readModelStatus(kv)).map((m) => m.source)).toEqual(['_other', 'a', 'b']);
    expect((await kv.hgetall(MODEL_KEYS.norms('_other')))._n).toBe('2');
  });
});

describe('loadDetectConfig', () => {
  it('reads defaults and per-source contamination, and lists every bad key', () => {
    const cfg = loadDetectConfig({ CONTAMINATION_BY_SOURCE: '{"web":0.05}', TREES: '50' });
    expect(cfg.detect.contamination).toBe(0.01);
    expect(cfg.detect.contaminationBySource).toEqual({ web: 0.05 });
    expect(cfg.detect.trees).toBe(50);
    expect(() => loadDetectConfig({ CONTAMINATION: '2', CONTAMINATION_BY_SOURCE: '[1]' })).toThrow(
      /CONTAMINATION_BY_SOURCE must be[\s\S]*CONTAMINATION="2"/,
    );
  });
});

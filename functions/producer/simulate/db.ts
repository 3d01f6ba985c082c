// Database server in its own text format: `<iso> db[pool-N] LEVEL  message`. Query durations per
// statement kind are heavy-tailed; slow queries (> 1 s) are logged as WARN; pool events, checkpoints,
// duplicate keys and deadlocks happen at low base rates.
import { isoTime } from './clock.js';
import { ms1, type SystemModel } from './model.js';
import { cumulative, type Rng } from './rng.js';

interface Query {
  key: string;
  weight: number;
  medianMs: number;
  sigma: number;
  sql: (r: Rng) => string;
}

const QUERIES: Query[] = [
  {
    key: 'select-user',
    weight: 25,
    medianMs: 0.8,
    sigma: 0.5,
    sql: (r) => `SELECT id, email, name FROM users WHERE id = ${r.range(1, 99_999)}`,
  },
  {
    key: 'select-orders',
    weight: 15,
    medianMs: 4,
    sigma: 0.6,
    sql: (r) =>
      `SELECT * FROM orders WHERE user_id = ${r.range(1, 99_999)} ORDER BY created_at DESC LIMIT 20`,
  },
  {
    key: 'insert-order',
    weight: 8,
    medianMs: 2.5,
    sigma: 0.5,
    sql: (r) =>
      `INSERT INTO orders (user_id, total, status) VALUES (${r.range(1, 99_999)}, ${r.range(5, 900)}.${r.range(10, 99)}, 'pending')`,
  },
  {
    key: 'update-stock',
    weight: 8,
    medianMs: 1.8,
    sigma: 0.6,
    sql: (r) => `UPDATE products SET stock = stock - ${r.range(1, 4)} WHERE id = ${r.range(1000, 9999)}`,
  },
  {
    key: 'select-products',
    weight: 15,
    medianMs: 3,
    sigma: 0.5,
    sql: (r) => `SELECT id, name, price FROM products WHERE category_id = ${r.range(1, 40)} LIMIT 50`,
  },
  {
    key: 'search',
    weight: 6,
    medianMs: 25,
    sigma: 0.8,
    sql: (r) =>
      `SELECT id, name FROM products WHERE to_tsvector(name) @@ plainto_tsquery('${r.pick(['shoes', 'lamp', 'cable', 'dress'])}')`,
  },
  {
    key: 'daily-report',
    weight: 1,
    medianMs: 800,
    sigma: 0.6,
    sql: (r) =>
      `SELECT date_trunc('day', created_at), sum(total) FROM orders WHERE created_at > now() - interval '${r.range(7, 90)} days' GROUP BY 1`,
  },
  {
    key: 'touch-session',
    weight: 12,
    medianMs: 0.6,
    sigma: 0.4,
    sql: (r) =>
      `UPDATE sessions SET last_seen = now() WHERE id = '${((r.next() * 0xffffffff) >>> 0).toString(16)}'`,
  },
];
const CUM = cumulative(QUERIES.map((q) => q.weight));
/** Queries slower than this go to the slow-query log as WARN (Postgres log_min_duration_statement). */
const SLOW_MS = 1000;
const POOL_SIZE = 50;

export function createDbModel(rng: Rng): SystemModel {
  const head = (ts: number) => `${isoTime(ts)} db[pool-${rng.range(1, 8)}] `;
  const deadlock = (ts: number) =>
    `${head(ts)}ERROR: deadlock detected  detail: Process ${rng.range(1000, 65000)} waits for ShareLock on transaction ${rng.range(100_000, 999_999)}; blocked by process ${rng.range(1000, 65000)}.`;

  const model: SystemModel = {
    spikeTargets: ['select-orders', 'select-products', 'insert-order', 'search'],
    spiked: false,
    normal(ts, spikeTarget, spikeFactor) {
      model.spiked = false;
      const x = rng.next();
      if (x < 0.0005) return deadlock(ts);
      if (x < 0.0015)
        return `${head(ts)}ERROR: duplicate key value violates unique constraint "users_email_key"  detail: Key (email)=(user${rng.range(1, 5000)}@example.com) already exists.`;
      if (x < 0.0025)
        return `${head(ts)}WARN  connection pool exhausted: active=${POOL_SIZE} idle=0 waiting=${rng.range(1, 12)} timeout_ms=5000`;
      if (x < 0.04)
        return `${head(ts)}LOG  connection acquired: pool=main active=${rng.range(3, 40)} idle=${rng.range(0, 20)} waiting=0`;
      if (x < 0.043)
        return `${head(ts)}LOG  checkpoint complete: wrote ${rng.range(50, 4000)} buffers (${ms1(rng.next() * 5)}%); write=${ms1(rng.next() * 3)} s, sync=0.0${rng.range(10, 99)} s`;
      if (x < 0.045)
        return `${head(ts)}LOG  automatic vacuum of table "shop.public.${rng.pick(['orders', 'sessions', 'products'])}": removed ${rng.range(10, 9000)} dead tuples`;
      const q = QUERIES[rng.weighted(CUM)];
      let ms = rng.latency(q.medianMs, q.sigma);
      if (spikeTarget === q.key) {
        ms *= spikeFactor * (0.8 + 0.4 * rng.next());
        model.spiked = true;
      }
      if (ms > SLOW_MS)
        return `${head(ts)}WARN  slow query: duration: ${ms1(ms)} ms  statement: ${q.sql(rng)}`;
      return `${head(ts)}LOG  duration: ${ms1(ms)} ms  statement: ${q.sql(rng)}`;
    },
    error(ts) {
      switch (rng.int(4)) {
        case 0:
          return deadlock(ts);
        case 1:
          return `${head(ts)}ERROR: canceling statement due to statement timeout  statement: ${QUERIES[rng.weighted(CUM)].sql(rng)}`;
        case 2:
          return `${head(ts)}ERROR: could not serialize access due to concurrent update`;
        default:
          return `${head(ts)}FATAL: remaining connection slots are reserved for non-replication superuser connections`;
      }
    },
    scan(ts) {
      const user = rng.pick(['admin', 'root', 'postgres', 'test', 'oracle', 'sa', 'backup']);
      return `${head(ts)}FATAL: password authentication failed for user "${user}"  connection: host=185.220.101.${rng.range(1, 60)} port=${rng.range(30000, 65000)}`;
    },
    novel(ts) {
      switch (rng.int(3)) {
        case 0:
          return `${head(ts)}PANIC: could not write to file "pg_wal/xlogtemp.${rng.range(100, 999)}": No space left on device`;
        case 1:
          return `${head(ts)}LOG  replication slot "replica_${rng.range(1, 4)}" invalidated: WAL segment 0000000100000${rng.range(100, 999)} removed`;
        default:
          return `${head(ts)}WARN  page verification failed, calculated checksum ${rng.range(10000, 65000)} but expected ${rng.range(10000, 65000)} in block ${rng.range(1, 99999)}`;
      }
    },
  };
  return model;
}

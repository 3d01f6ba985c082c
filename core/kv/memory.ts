// The embedded KV: Redis semantics in process (memory-store.ts), snapshotted to {dataDir}/kv.json.
// Used by `npm start` (every component in one process); Redis replaces it as soon as REDIS_URL is set.
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { MemoryStore, type SnapshotV1 } from './memory-store.js';
import type { KV, StorageInfo } from './types.js';

export interface MemoryKvOptions {
  /** Directory of the snapshot file `kv.json`; absent = memory only. */
  dataDir?: string;
  /** How often a changed store is saved. 5 s bounds what a crash (not a clean close) can lose. */
  snapshotIntervalMs?: number;
  logger?: Logger;
  now?: () => number;
}

export const SNAPSHOT_FILE = 'kv.json';
const DEFAULT_SNAPSHOT_INTERVAL_MS = 5_000;

// One store per data dir per process: two components of `npm start` opening the same dir must share state,
// not overwrite each other's snapshot. Closed when the last user closes it.
const shared = new Map<string, { kv: Promise<KV>; users: number }>();

/** Opens (or joins) the embedded store; with a dataDir it reloads the last snapshot first. */
export async function createMemoryKv(opts: MemoryKvOptions = {}): Promise<KV> {
  if (!opts.dataDir) return openStore(opts, undefined);
  const dir = resolve(opts.dataDir);
  let slot = shared.get(dir);
  if (!slot) {
    slot = { kv: openStore(opts, dir), users: 0 };
    shared.set(dir, slot);
    slot.kv.catch(() => shared.delete(dir));
  }
  slot.users++;
  const kv = await slot.kv;
  const s = slot;
  let closed = false;
  return {
    ...kv,
    async close() {
      if (closed) return;
      closed = true;
      if (--s.users > 0) return;
      shared.delete(dir);
      await kv.close();
    },
  };
}

async function openStore(opts: MemoryKvOptions, dir: string | undefined): Promise<KV> {
  const logger = opts.logger ?? silentLogger;
  const store = new MemoryStore(opts.now ?? Date.now);
  const file = dir ? join(dir, SNAPSHOT_FILE) : undefined;
  if (dir && file) {
    await mkdir(dir, { recursive: true });
    const snap = await readSnapshot(file);
    if (snap) {
      store.load(snap);
      logger.info('kv: embedded store reloaded', { file, keys: store.data.size });
    }
  }
  let savedVersion = store.version;
  let saving: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    if (!file || store.version === savedVersion) return saving;
    const version = store.version;
    const text = JSON.stringify(store.toJSON());
    saving = saving
      .catch(() => {}) // a failed save was logged; the next one retries from scratch
      .then(() => writeAtomically(file, text))
      .then(() => {
        savedVersion = version;
      });
    return saving;
  };
  const interval = opts.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
  const timer = setInterval(() => {
    store.sweep();
    save().catch((err: Error) => logger.error('kv: snapshot failed', { file, err: err.message }));
  }, interval);
  timer.unref();
  let closed = false;
  const live = () => {
    if (closed) throw new Error('kv: store is closed');
  };

  return {
    async get(key) {
      live();
      return store.typed(key, 'string')?.v ?? null;
    },
    async mget(keys) {
      live();
      return keys.map((k) => {
        const e = store.entry(k);
        return e?.t === 'string' ? e.v : null;
      });
    },
    async hgetall(key) {
      live();
      return Object.fromEntries(store.typed(key, 'hash')?.v ?? []);
    },
    async hmget(key, fields) {
      live();
      const h = store.typed(key, 'hash')?.v;
      return fields.map((f) => h?.get(f) ?? null);
    },
    async hgetallMany(keys) {
      live();
      return keys.map((k) => Object.fromEntries(store.typed(k, 'hash')?.v ?? []));
    },
    async lrange(key, start, stop) {
      live();
      return lrange(store.typed(key, 'list')?.v ?? [], start, stop);
    },
    async llen(key) {
      live();
      return store.typed(key, 'list')?.v.length ?? 0;
    },
    async setIfAbsent(key, value, ttlMs) {
      live();
      return store.setIfAbsent(key, value, ttlMs);
    },
    async delIfEquals(key, value) {
      live();
      const e = store.entry(key);
      if (e?.t !== 'string' || e.v !== value) return false;
      store.data.delete(key);
      store.version++;
      return true;
    },
    async apply(ops, applyOpts = {}) {
      live();
      return store.apply(ops, applyOpts);
    },
    async keys(prefix) {
      live();
      return [...store.data.keys()].filter((k) => k.startsWith(prefix) && store.entry(k));
    },
    async info(): Promise<StorageInfo> {
      live();
      const persistedBytes = file
        ? await stat(file).then(
            (s) => s.size,
            () => 0,
          )
        : undefined;
      return {
        kind: 'embedded',
        usedBytes: store.estimateBytes(),
        ...(persistedBytes !== undefined ? { persistedBytes } : {}),
        keys: store.data.size,
      };
    },
    async ping() {
      live();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await save();
      if (file) logger.info('kv: embedded store saved', { file, keys: store.data.size });
    },
  };
}

/** LRANGE index rules: negative indexes count from the end, stop is inclusive, out of range clamps. */
function lrange(list: readonly string[], start: number, stop: number): string[] {
  const n = list.length;
  const s = Math.max(start < 0 ? n + start : start, 0);
  const e = Math.min(stop < 0 ? n + stop : stop, n - 1);
  return s > e ? [] : list.slice(s, e + 1);
}

async function readSnapshot(file: string): Promise<SnapshotV1 | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // A corrupt snapshot is a startup error, not something to silently replace with an empty store.
  return JSON.parse(text) as SnapshotV1;
}

/** Write to a temp file, fsync, rename over the target: a crash leaves the old or the new file, never half. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

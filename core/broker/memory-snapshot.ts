// The embedded broker's queues on disk: saved on close, reloaded on start, so `npm start` keeps messages
// that were queued or unacked across a restart (as RabbitMQ keeps persistent messages in durable queues).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredMessage } from './types.js';

export const BROKER_SNAPSHOT_FILE = 'broker.json';

/** A queued message as saved (the broker's own message shape). */
export type SavedMessage = StoredMessage;
export interface SavedQueue {
  name: string;
  patterns: string[];
  messages: SavedMessage[];
}

interface FileV1 {
  format: 'logfaas-broker';
  version: 1;
  queues: { name: string; patterns: string[]; messages: (Omit<SavedMessage, 'body'> & { body: string })[] }[];
}

/** Synchronous, because createMemoryBroker is: it runs once at startup. A corrupt file throws. */
export function loadBrokerSnapshot(dir: string): SavedQueue[] {
  const file = join(dir, BROKER_SNAPSHOT_FILE);
  if (!existsSync(file)) return [];
  const data = JSON.parse(readFileSync(file, 'utf8')) as FileV1;
  if (data?.format !== 'logfaas-broker' || data.version !== 1)
    throw new Error(`${file}: not a broker snapshot`);
  return data.queues.map((q) => ({
    name: q.name,
    patterns: q.patterns,
    messages: q.messages.map((m) => ({ ...m, body: new Uint8Array(Buffer.from(m.body, 'base64')) })),
  }));
}

/** Temp file, fsync, rename: the snapshot on disk is always a whole one. */
export async function saveBrokerSnapshot(dir: string, queues: SavedQueue[]): Promise<void> {
  const data: FileV1 = {
    format: 'logfaas-broker',
    version: 1,
    queues: queues.map((q) => ({
      name: q.name,
      patterns: q.patterns,
      messages: q.messages.map((m) => ({ ...m, body: Buffer.from(m.body).toString('base64') })),
    })),
  };
  await mkdir(dir, { recursive: true });
  const file = join(dir, BROKER_SNAPSHOT_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(data));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

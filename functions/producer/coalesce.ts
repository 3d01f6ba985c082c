// Small raw batches of different requests published as one message. Every batch has a cost of its own in
// each stage after the producer (a message, a function call, a state read, an atomic apply), so lines
// that arrive as many small requests cost more than the same lines in a few large ones
// (docs/capacity.md, "Small batches"). A small batch waits up to `lingerMs` for others with the same
// content type and headers but for the batch id (source, format, multi-line switch); each request is
// answered once the message holding its lines is confirmed.
import type { Broker } from '../../core/broker/types.js';
import { H } from '../../core/headers.js';
import type { OutBatch } from './publish.js';

export interface CoalescerOptions {
  broker: Broker;
  topic: string;
  /** Most lines and bytes of one message (BATCH_LINES, BATCH_BYTES). */
  maxLines: number;
  maxBytes: number;
  /** How long the first batch of a group waits for others (BATCH_LINGER). */
  lingerMs: number;
  /** Requests waiting in one group at most: then it is published, so waiting requests stay bounded. */
  maxWaiting: number;
}

export interface Coalescer {
  /**
   * Publishes `b` (with the batches of its group that arrive in time); resolves with the id of the message
   * that carried it once confirmed.
   */
  publish(b: OutBatch): Promise<string>;
}

interface Waiting {
  batches: OutBatch[];
  lines: number;
  bytes: number;
  timer: ReturnType<typeof setTimeout>;
  done: { resolve: (id: string) => void; reject: (e: unknown) => void }[];
}

const LF = 0x0a;

export function createCoalescer(o: CoalescerOptions): Coalescer {
  const groups = new Map<string, Waiting>();

  function send(group: string): void {
    const w = groups.get(group);
    if (!w) return;
    groups.delete(group);
    clearTimeout(w.timer);
    const first = w.batches[0];
    // One batch alone goes as it would have without waiting; several take the first one's id, marked
    // with how many joined it (unique, since a batch joins one message only).
    const id = w.batches.length === 1 ? first.id : `${first.id}+${w.batches.length - 1}`;
    o.broker
      .publish(o.topic, w.batches.length === 1 ? first.body : joinLines(w.batches, w.bytes), {
        messageId: id,
        headers: w.batches.length === 1 ? first.headers : { ...first.headers, [H.batchId]: id },
        contentType: first.contentType,
      })
      .then(
        () => {
          for (const d of w.done) d.resolve(id);
        },
        (e) => {
          for (const d of w.done) d.reject(e);
        },
      );
  }

  return {
    publish(b) {
      const group = groupOf(b);
      let w = groups.get(group);
      if (w && (w.lines + b.lines > o.maxLines || w.bytes + 1 + b.body.length > o.maxBytes)) {
        send(group);
        w = undefined;
      }
      if (!w) {
        w = {
          batches: [],
          lines: 0,
          bytes: -1,
          timer: setTimeout(() => send(group), o.lingerMs),
          done: [],
        };
        groups.set(group, w);
      }
      w.batches.push(b);
      w.lines += b.lines;
      w.bytes += 1 + b.body.length;
      const confirmed = new Promise<string>((resolve, reject) => w.done.push({ resolve, reject }));
      if (w.lines >= o.maxLines || w.done.length >= o.maxWaiting) send(group);
      return confirmed;
    },
  };
}

/** What batches must share to go as one message: everything the message carries but their ids and lines. */
function groupOf(b: OutBatch): string {
  const headers = Object.entries(b.headers).filter(([k]) => k !== H.batchId);
  return JSON.stringify([b.contentType, headers.sort(([x], [y]) => (x < y ? -1 : 1))]);
}

/** The batches' bodies joined by newlines (each is whole lines without a final newline). */
function joinLines(batches: readonly OutBatch[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (let i = 0; i < batches.length; i++) {
    if (i > 0) out[at++] = LF;
    out.set(batches[i].body, at);
    at += batches[i].body.length;
  }
  return out;
}

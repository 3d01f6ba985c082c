// Events to the NDJSON response body in one pass: each event's JSON is written straight into one growing
// buffer. Concatenating a string of ~1.4 MB first (2,000-line batches) and encoding it afterwards made
// V8 flatten a rope of 4,000 parts and then walk it again; this is ~10% less serialisation CPU
// (bench: 2,000 mixed lines, 5.4 -> 4.9 ms) and leaves one buffer instead of a string plus its bytes.
import { Buffer } from 'node:buffer';
import type { LogEvent } from '../../core/event.js';

/** Bytes per event to start with; parse-log's events average ~500-700 bytes. */
const START_BYTES_PER_EVENT = 768;

export function toNdjson(events: readonly LogEvent[]): Uint8Array {
  let buf = Buffer.allocUnsafe(Math.max(1024, events.length * START_BYTES_PER_EVENT));
  let at = 0;
  for (const e of events) {
    const json = JSON.stringify(e);
    // A UTF-16 code unit takes at most 3 UTF-8 bytes; grow before writing so nothing is cut off.
    const worst = json.length * 3 + 1;
    if (at + worst > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, at + worst));
      buf.copy(bigger, 0, 0, at);
      buf = bigger;
    }
    at += buf.write(json, at);
    buf[at++] = 0x0a;
  }
  return buf.subarray(0, at);
}

// The events of a body on logs.parsed, whatever form parse-log answered in (binary, compact JSON or
// NDJSON): for the end-to-end tests that tap that topic.
import type { LogEvent } from '../../core/event.js';
import { EVENT_BATCH_TYPE } from '../../core/event-batch.js';
import { EVENT_BATCH_BIN_TYPE } from '../../core/event-batch-bin.js';
import { decodeEventBatchBin } from '../../core/event-batch-bin-read.js';
import { decodeEventBatch } from '../../core/event-batch-read.js';

export function parsedEvents(contentType: string | undefined, body: Uint8Array): LogEvent[] {
  if (contentType === EVENT_BATCH_BIN_TYPE) return decodeEventBatchBin(body).events;
  if (contentType === EVENT_BATCH_TYPE) return decodeEventBatch(body).events;
  const out: LogEvent[] = [];
  for (const l of new TextDecoder().decode(body).split('\n')) if (l) out.push(JSON.parse(l) as LogEvent);
  return out;
}

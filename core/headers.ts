// Header names that carry batch identity and routing through gateway, broker and connector.
// A batch id is stable from the producer onwards; derived batches append a suffix (see deriveBatchId).

export const H = {
  batchId: 'x-batch-id',
  source: 'x-source',
  logFormat: 'x-log-format',
  /** `on`/`off`: group lines into multi-line events (core/multiline.ts) or not, for this request. */
  multiline: 'x-multiline',
  /** `complete`: the body ends on a record boundary, so the producer holds nothing back (the CLI's chunks). */
  multilineEnd: 'x-multiline-end',
  topic: 'x-topic',
  connector: 'x-connector',
  callId: 'x-call-id',
  messageId: 'x-message-id',
  servedBy: 'x-served-by',
  deadLetterReason: 'x-dead-letter-reason',
  attempts: 'x-attempts',
  /** A function's second output, published by the connector to its `side-output-topic` annotation. */
  sideOutput: 'x-side-output',
  contentType: 'content-type',
} as const;

/** Id of a batch produced from another one by a function, e.g. `b123` -> `b123/parse-log`. */
export function deriveBatchId(parent: string, step: string): string {
  return `${parent}/${step}`;
}

export const NDJSON = 'application/x-ndjson';

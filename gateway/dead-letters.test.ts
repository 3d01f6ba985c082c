import { describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../core/broker/memory.js';
import { DEAD_LETTER_QUEUE } from '../core/broker/types.js';
import { encodeEventBatchBin } from '../core/event-batch-bin.js';
import { base } from '../test/support/random-events.js';
import { createDeadLetters } from './dead-letters.js';

describe('dead letters', () => {
  it("preview a binary event batch as its log lines, anything else as its first bytes' text", async () => {
    const broker = createMemoryBroker();
    await broker.declareQueue({ name: DEAD_LETTER_QUEUE, topics: [DEAD_LETTER_QUEUE] });
    const batch = encodeEventBatchBin([base, { ...base, raw: 'second line' }]);
    await broker.publish(DEAD_LETTER_QUEUE, batch, { messageId: 'b1', contentType: 'x' });
    await broker.publish(DEAD_LETTER_QUEUE, batch.subarray(0, 20), { messageId: 'b2', contentType: 'x' });
    await broker.publish(DEAD_LETTER_QUEUE, new TextEncoder().encode('plain text'), { messageId: 'b3' });
    const { messages } = await createDeadLetters(broker).list(10);
    expect(messages.map((m) => m.preview)).toEqual([
      `${base.raw}\nsecond line`,
      new TextDecoder().decode(batch.subarray(0, 20)),
      'plain text',
    ]);
    await broker.close();
  });
});

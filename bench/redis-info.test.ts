import { describe, expect, it } from 'vitest';
import { redisUrl, requireService, tcpReachable } from '../test/services.js';
import { parseInfo, redisInfo, redisMeter } from './redis-info.js';

describe('bench redis counters', () => {
  it('reads INFO fields as numbers', () => {
    expect(
      parseInfo('# Stats\r\ntotal_commands_processed:42\r\nrole:master\r\nused_memory:1000\r\n'),
    ).toEqual({
      total_commands_processed: 42,
      used_memory: 1000,
    });
  });
});

describe.skipIf(!(await requireService('Redis', () => tcpReachable(redisUrl(), 6379))))(
  'on real Redis',
  () => {
    it('counts the commands between two readings', async () => {
      const info = await redisInfo(redisUrl());
      expect(info.used_memory).toBeGreaterThan(0);
      const meter = await redisMeter(redisUrl());
      await redisInfo(redisUrl());
      const used = await meter();
      // Its own INFO calls at least; others may use the same server meanwhile.
      expect(used.commands).toBeGreaterThanOrEqual(2);
      expect(used.usedMemoryMb).toBeGreaterThan(0);
    });
  },
);

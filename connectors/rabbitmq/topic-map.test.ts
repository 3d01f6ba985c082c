import { describe, expect, it } from 'vitest';
import { buildSubscriptions, subscribedTopics } from './topic-map.js';

describe('buildSubscriptions', () => {
  it('reads topic, output-topic and side-output-topic annotations, comma lists, and skips functions without topics', () => {
    const subs = buildSubscriptions([
      { name: 'stats', annotations: {} },
      { name: 'parse-log', annotations: { topic: 'logs.raw', 'output-topic': 'logs.parsed' } },
      { name: 'multi', annotations: { topic: ' a.b , c.d,a.b,' } },
      {
        name: 'detect',
        annotations: {
          topic: 'logs.parsed',
          'output-topic': 'logs.anomalies',
          'side-output-topic': 'logs.incidents',
        },
      },
      { name: 'bare' },
    ]);
    expect(subs).toEqual([
      {
        fn: 'detect',
        topics: ['logs.parsed'],
        outputTopic: 'logs.anomalies',
        sideOutputTopic: 'logs.incidents',
      },
      { fn: 'multi', topics: ['a.b', 'c.d'] },
      { fn: 'parse-log', topics: ['logs.raw'], outputTopic: 'logs.parsed' },
    ]);
    expect([...subscribedTopics(subs)].sort()).toEqual(['a.b', 'c.d', 'logs.parsed', 'logs.raw']);
  });
});

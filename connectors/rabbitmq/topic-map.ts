// Topic map as in the OpenFaaS connector-sdk: which functions subscribe to which topic, built from the
// `topic` annotation (comma-separated) of GET /system/functions, plus each function's `output-topic` and
// `side-output-topic` (where its response header x-side-output goes, e.g. detect-anomaly's incident changes).

export interface FunctionSummary {
  name: string;
  annotations?: Record<string, string>;
}

export interface Subscription {
  fn: string;
  topics: string[];
  outputTopic?: string;
  sideOutputTopic?: string;
}

export function buildSubscriptions(functions: FunctionSummary[]): Subscription[] {
  const subs: Subscription[] = [];
  for (const f of functions) {
    const topics = (f.annotations?.topic ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (!topics.length) continue;
    const out = f.annotations?.['output-topic']?.trim();
    const side = f.annotations?.['side-output-topic']?.trim();
    subs.push({
      fn: f.name,
      topics: [...new Set(topics)].sort(),
      ...(out ? { outputTopic: out } : {}),
      ...(side ? { sideOutputTopic: side } : {}),
    });
  }
  return subs.sort((a, b) => a.fn.localeCompare(b.fn));
}

/** Topics that some subscribed function consumes: publishing there must not be silently unrouted. */
export function subscribedTopics(subs: Subscription[]): Set<string> {
  return new Set(subs.flatMap((s) => s.topics));
}

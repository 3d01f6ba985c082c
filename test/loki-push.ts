// Test support: Loki pushes encoded as Promtail, Alloy and Vector send them: protobuf against Loki's
// published push.proto (test/fixtures/loki-push.proto, via protobufjs), snappy block compressed.
import protobuf from 'protobufjs';
import { compress } from 'snappyjs';

const PushRequest = protobuf.loadSync('test/fixtures/loki-push.proto').lookupType('logproto.PushRequest');

export interface PushStream {
  /** Prometheus label text, e.g. `{job="varlogs"}`. */
  labels: string;
  entries: { ns: bigint; line: string; meta?: Record<string, string> }[];
}

export function lokiProto(streams: PushStream[]): Uint8Array<ArrayBuffer> {
  const msg = PushRequest.fromObject({
    streams: streams.map((s) => ({
      labels: s.labels,
      entries: s.entries.map((e) => ({
        timestamp: { seconds: Number(e.ns / 1_000_000_000n), nanos: Number(e.ns % 1_000_000_000n) },
        line: e.line,
        structuredMetadata: Object.entries(e.meta ?? {}).map(([name, value]) => ({ name, value })),
      })),
    })),
  });
  return compress(PushRequest.encode(msg).finish());
}

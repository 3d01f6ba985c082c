// Test support: export log records with the official OpenTelemetry JS SDK (sdk-logs and the OTLP
// HTTP exporters, JSON or protobuf) and report each export's result, as an instrumented app would.
import type { AnyValueMap, LogBody } from '@opentelemetry/api-logs';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';

export interface SdkRecord {
  body: LogBody;
  severityNumber?: number;
  severityText?: string;
  /** Epoch ms (the SDK takes a Date, ms or an hrtime). */
  timeMs?: number;
  attributes?: AnyValueMap;
}

export interface SdkExport {
  /** The endpoint the exporter is given, e.g. `${gateway}/function/producer/v1/logs`. */
  url: string;
  encoding: 'json' | 'protobuf';
  gzip?: boolean;
  service: string;
  records: SdkRecord[];
  /** Records per export call (the processor's batch size). */
  batchSize?: number;
}

/** Emits the records through a LoggerProvider and flushes; returns each export's result code (0 = success). */
export async function exportWithSdk(o: SdkExport): Promise<{ codes: number[]; errors: string[] }> {
  const config = { url: o.url, compression: (o.gzip ? 'gzip' : 'none') as never, timeoutMillis: 20_000 };
  const inner: LogRecordExporter =
    o.encoding === 'json' ? new JsonExporter(config) : new ProtoExporter(config);
  const codes: number[] = [];
  const errors: string[] = [];
  const exporter: LogRecordExporter = {
    export: (logs: ReadableLogRecord[], done) =>
      inner.export(logs, (r) => {
        codes.push(r.code);
        if (r.error) errors.push(String(r.error));
        done(r);
      }),
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
  const batch = o.batchSize ?? 512;
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': o.service, 'host.name': 'test-host' }),
    processors: [
      new BatchLogRecordProcessor({
        exporter,
        maxExportBatchSize: batch,
        maxQueueSize: Math.max(2048, o.records.length),
        scheduledDelayMillis: 50,
      }),
    ],
  });
  const logger = provider.getLogger('logfaas-test');
  for (const r of o.records) {
    logger.emit({
      body: r.body,
      severityNumber: r.severityNumber,
      severityText: r.severityText,
      timestamp: r.timeMs,
      attributes: r.attributes,
    });
  }
  await provider.forceFlush();
  await provider.shutdown();
  return { codes, errors };
}

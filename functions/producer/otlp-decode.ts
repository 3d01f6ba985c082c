// OTLP logs request (ExportLogsServiceRequest) from protobuf or OTLP/JSON into plain objects.
// Field numbers and JSON names: opentelemetry-proto, collector/logs/v1 and logs/v1/logs.proto.
import { BadRequestError, HttpError } from '../../core/errors.js';
import { ProtoError, ProtoReader, WIRE } from './protobuf.js';
import { refuse } from './protocol-records.js';

/** An OTLP AnyValue; a kvlist is a plain object, bytes stay bytes. */
export type AnyValue = string | number | boolean | null | Uint8Array | AnyValue[] | { [k: string]: AnyValue };

export interface OtlpRecord {
  /** Epoch ms (from nanoseconds); undefined when the field is 0 or absent. */
  timeMs?: number;
  observedMs?: number;
  severityNumber: number;
  severityText: string;
  body?: AnyValue;
  attributes: [string, AnyValue][];
  traceId: string;
  spanId: string;
  eventName: string;
}

export interface OtlpResourceLogs {
  attributes: [string, AnyValue][];
  records: OtlpRecord[];
  /** Records that could not be read (a bad field inside them, or in their resource), refused alone; why, for the first few. */
  rejected: number;
  reasons: string[];
}

/** Counts records while decoding, so an oversized request stops early with 413. */
class RecordBudget {
  n = 0;
  constructor(private readonly max: number) {}
  take(): void {
    if (++this.n > this.max)
      throw new HttpError(
        413,
        'payload_too_large',
        `more than ${this.max} log records in one request (INGEST_MAX_RECORDS)`,
        {
          limitRecords: this.max,
        },
      );
  }
}

// ---- protobuf ----

export function decodeOtlpProto(buf: Uint8Array, maxRecords: number): OtlpResourceLogs[] {
  const budget = new RecordBudget(maxRecords);
  const out: OtlpResourceLogs[] = [];
  const r = new ProtoReader(buf);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      r.expect(wire, WIRE.bytes, 'resource_logs');
      out.push(resourceLogs(r.sub(), budget));
    } else r.skip(wire);
  }
  return out;
}

function resourceLogs(r: ProtoReader, budget: RecordBudget): OtlpResourceLogs {
  const res: OtlpResourceLogs = { attributes: [], records: [], rejected: 0, reasons: [] };
  let badResource: string | undefined;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.bytes) {
      const rr = r.sub(); // Resource: attributes = 1
      try {
        while (!rr.done()) {
          const t = rr.tag();
          if (t.field === 1 && t.wire === WIRE.bytes) res.attributes.push(keyValue(rr.sub()));
          else rr.skip(t.wire);
        }
      } catch (e) {
        if (!(e instanceof ProtoError)) throw e;
        badResource = `invalid resource: ${e.message}`;
      }
    } else if (field === 2 && wire === WIRE.bytes) {
      const sr = r.sub(); // ScopeLogs: log_records = 2
      while (!sr.done()) {
        const t = sr.tag();
        if (t.field === 2 && t.wire === WIRE.bytes) {
          budget.take();
          // The record's bytes are delimited: one that does not decode is refused, the rest read on.
          const rec = sr.sub();
          try {
            res.records.push(logRecord(rec));
          } catch (e) {
            if (!(e instanceof ProtoError)) throw e;
            refuse(res, 1, `invalid log record: ${e.message}`);
          }
        } else sr.skip(t.wire);
      }
    } else r.skip(wire);
  }
  if (badResource !== undefined) {
    refuse(res, res.records.length, badResource);
    res.records = [];
  }
  return res;
}

function logRecord(r: ProtoReader): OtlpRecord {
  const rec: OtlpRecord = {
    severityNumber: 0,
    severityText: '',
    attributes: [],
    traceId: '',
    spanId: '',
    eventName: '',
  };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.fixed64) rec.timeMs = nanosMs(r.fixed64());
    else if (field === 11 && wire === WIRE.fixed64) rec.observedMs = nanosMs(r.fixed64());
    else if (field === 2 && wire === WIRE.varint) rec.severityNumber = r.varint();
    else if (field === 3 && wire === WIRE.bytes) rec.severityText = r.string();
    else if (field === 5 && wire === WIRE.bytes) rec.body = anyValue(r.sub());
    else if (field === 6 && wire === WIRE.bytes) rec.attributes.push(keyValue(r.sub()));
    else if (field === 9 && wire === WIRE.bytes) rec.traceId = hex(r.bytes());
    else if (field === 10 && wire === WIRE.bytes) rec.spanId = hex(r.bytes());
    else if (field === 12 && wire === WIRE.bytes) rec.eventName = r.string();
    else r.skip(wire);
  }
  return rec;
}

function keyValue(r: ProtoReader, depth = 0): [string, AnyValue] {
  let key = '';
  let value: AnyValue = null;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.bytes) key = r.string();
    else if (field === 2 && wire === WIRE.bytes) value = anyValue(r.sub(), depth);
    else r.skip(wire);
  }
  return [key, value];
}

/** Nesting of arrays and maps allowed in one value: a deeper one is refused, not a stack overflow. */
const MAX_DEPTH = 32;

function anyValue(r: ProtoReader, depth = 0): AnyValue {
  if (depth > MAX_DEPTH) throw new ProtoError(`AnyValue nested deeper than ${MAX_DEPTH}`);
  let v: AnyValue = null;
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.bytes) v = r.string();
    else if (field === 2 && wire === WIRE.varint) v = r.varint() !== 0;
    else if (field === 3 && wire === WIRE.varint) v = r.varint();
    else if (field === 4 && wire === WIRE.fixed64) v = r.double();
    else if (field === 5 && wire === WIRE.bytes) v = list(r.sub(), false, depth) as AnyValue[];
    else if (field === 6 && wire === WIRE.bytes)
      v = Object.fromEntries(list(r.sub(), true, depth) as [string, AnyValue][]);
    else if (field === 7 && wire === WIRE.bytes) v = r.bytes();
    else r.skip(wire);
  }
  return v;
}

/** ArrayValue (values = 1, AnyValue) or KeyValueList (values = 1, KeyValue). */
function list(r: ProtoReader, kv: boolean, depth: number): (AnyValue | [string, AnyValue])[] {
  const out: (AnyValue | [string, AnyValue])[] = [];
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.bytes)
      out.push(kv ? keyValue(r.sub(), depth + 1) : anyValue(r.sub(), depth + 1));
    else r.skip(wire);
  }
  return out;
}

/** Nanoseconds -> epoch ms, keeping the sub-millisecond part without the rounding of 1.7e18 / 1e6. */
function nanosMs(ns: bigint): number | undefined {
  return ns === 0n ? undefined : Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

// ---- OTLP/JSON (lowerCamelCase names; the proto names are accepted too) ----

type Obj = Record<string, unknown>;

const bad = (what: string) => new BadRequestError(`invalid OTLP/JSON: ${what}`);

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} must be an object`);
  return v as Obj;
}

function arr(o: Obj, camel: string, snake: string, what: string): unknown[] {
  const v = o[camel] ?? o[snake];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(`${what}.${camel} must be an array`);
  return v;
}

function str(o: Obj, camel: string, snake: string, what: string): string {
  const v = o[camel] ?? o[snake];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad(`${what}.${camel} must be a string`);
  return v;
}

export function decodeOtlpJson(v: unknown, maxRecords: number): OtlpResourceLogs[] {
  const budget = new RecordBudget(maxRecords);
  const root = obj(v, 'request');
  return arr(root, 'resourceLogs', 'resource_logs', 'request').map((x) => {
    const rl = obj(x, 'resourceLogs[]');
    const out: OtlpResourceLogs = { attributes: [], records: [], rejected: 0, reasons: [] };
    let badResource: string | undefined;
    try {
      const resource = rl.resource === undefined || rl.resource === null ? {} : obj(rl.resource, 'resource');
      out.attributes = jsonAttributes(resource, 'resource');
    } catch (e) {
      if (!(e instanceof BadRequestError)) throw e;
      badResource = e.message;
    }
    for (const s of arr(rl, 'scopeLogs', 'scope_logs', 'resourceLogs[]')) {
      for (const lr of arr(obj(s, 'scopeLogs[]'), 'logRecords', 'log_records', 'scopeLogs[]')) {
        budget.take();
        // A record with a bad field is refused alone (partial success); the others are read on.
        try {
          out.records.push(jsonRecord(obj(lr, 'logRecords[]')));
        } catch (e) {
          if (!(e instanceof BadRequestError)) throw e;
          refuse(out, 1, e.message);
        }
      }
    }
    if (badResource !== undefined) {
      refuse(out, out.records.length, badResource);
      out.records = [];
    }
    return out;
  });
}

function jsonRecord(o: Obj): OtlpRecord {
  const w = 'logRecords[]';
  const sev = o.severityNumber ?? o.severity_number ?? 0;
  return {
    timeMs: jsonNanos(o.timeUnixNano ?? o.time_unix_nano, 'timeUnixNano'),
    observedMs: jsonNanos(o.observedTimeUnixNano ?? o.observed_time_unix_nano, 'observedTimeUnixNano'),
    severityNumber: severityNumber(sev),
    severityText: str(o, 'severityText', 'severity_text', w),
    body: o.body === undefined || o.body === null ? undefined : jsonAnyValue(o.body),
    attributes: jsonAttributes(o, w),
    traceId: hexId(str(o, 'traceId', 'trace_id', w)),
    spanId: hexId(str(o, 'spanId', 'span_id', w)),
    eventName: str(o, 'eventName', 'event_name', w),
  };
}

function jsonAttributes(o: Obj, what: string): [string, AnyValue][] {
  return arr(o, 'attributes', 'attributes', what).map((kv) => {
    const k = obj(kv, `${what}.attributes[]`);
    if (typeof k.key !== 'string') throw bad(`${what}.attributes[].key must be a string`);
    return [k.key, k.value === undefined || k.value === null ? null : jsonAnyValue(k.value)];
  });
}

function jsonAnyValue(v: unknown, depth = 0): AnyValue {
  if (depth > MAX_DEPTH) throw bad(`AnyValue nested deeper than ${MAX_DEPTH}`);
  const o = obj(v, 'AnyValue');
  if ('stringValue' in o || 'string_value' in o) return String(o.stringValue ?? o.string_value);
  if ('boolValue' in o || 'bool_value' in o) return (o.boolValue ?? o.bool_value) === true;
  if ('intValue' in o || 'int_value' in o) {
    const n = Number(o.intValue ?? o.int_value);
    if (!Number.isFinite(n)) throw bad('intValue must be an integer');
    return n;
  }
  if ('doubleValue' in o || 'double_value' in o) {
    const d = o.doubleValue ?? o.double_value;
    // proto3 JSON writes NaN and the infinities as strings; a field value cannot hold them, so null.
    return typeof d === 'number' ? d : Number.isFinite(Number(d)) ? Number(d) : null;
  }
  if ('arrayValue' in o || 'array_value' in o) {
    const a = obj(o.arrayValue ?? o.array_value, 'arrayValue');
    return arr(a, 'values', 'values', 'arrayValue').map((x) => jsonAnyValue(x, depth + 1));
  }
  if ('kvlistValue' in o || 'kvlist_value' in o) {
    const kl = obj(o.kvlistValue ?? o.kvlist_value, 'kvlistValue');
    const entries = arr(kl, 'values', 'values', 'kvlistValue').map((kv): [string, AnyValue] => {
      const k = obj(kv, 'kvlistValue.values[]');
      if (typeof k.key !== 'string') throw bad('kvlistValue.values[].key must be a string');
      return [k.key, k.value === undefined || k.value === null ? null : jsonAnyValue(k.value, depth + 1)];
    });
    return Object.fromEntries(entries);
  }
  if ('bytesValue' in o || 'bytes_value' in o) {
    const b = o.bytesValue ?? o.bytes_value;
    if (typeof b !== 'string') throw bad('bytesValue must be base64 text');
    return new Uint8Array(Buffer.from(b, 'base64'));
  }
  return null;
}

/** OTLP/JSON writes 64-bit integers as decimal strings; numbers are accepted too. */
function jsonNanos(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  let ms: number;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) ms = v / 1e6;
  else if (typeof v === 'string' && /^\d{1,20}$/.test(v))
    ms = v.length > 6 ? Number(v.slice(0, -6)) + Number(v.slice(-6)) / 1e6 : Number(v) / 1e6;
  else throw bad(`${what} must be nanoseconds since the epoch (a decimal string)`);
  return ms === 0 ? undefined : ms;
}

const SEVERITY_NAME = /^SEVERITY_NUMBER_(UNSPECIFIED|TRACE|DEBUG|INFO|WARN|ERROR|FATAL)([234]?)$/;
const SEVERITY_BASE: Record<string, number> = {
  UNSPECIFIED: 0,
  TRACE: 1,
  DEBUG: 5,
  INFO: 9,
  WARN: 13,
  ERROR: 17,
  FATAL: 21,
};

/** The enum as a number (OTLP/JSON), or by name as other proto3 JSON writers emit it. */
function severityNumber(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d{1,2}$/.test(v)) return Number(v);
  const m = typeof v === 'string' ? SEVERITY_NAME.exec(v) : null;
  if (!m) throw bad('severityNumber must be an integer');
  const base = SEVERITY_BASE[m[1]];
  return base === 0 ? 0 : base + (m[2] ? Number(m[2]) - 1 : 0);
}

/** Hex as OTLP/JSON writes ids, lower-cased; another spelling (base64 from older writers) is kept as is. */
function hexId(s: string): string {
  return /^[0-9a-fA-F]+$/.test(s) ? s.toLowerCase() : s;
}

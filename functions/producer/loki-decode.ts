// Loki push requests into plain objects: JSON (`{"streams":[{"stream":{..},"values":[[ns, line, meta?]]}]}`)
// and protobuf (Loki's pkg/push/push.proto: PushRequest, StreamAdapter, EntryAdapter, LabelPairAdapter),
// plus the Prometheus label text (`{job="x", app="y"}`) the protobuf form carries labels in.
import { BadRequestError, HttpError } from '../../core/errors.js';
import { ProtoError, ProtoReader, WIRE } from './protobuf.js';
import { refuse } from './protocol-records.js';

export interface LokiEntry {
  /** Epoch ms from the entry's nanoseconds; undefined when 0. */
  ms?: number;
  line: string;
  metadata: [string, string][];
}

export interface LokiStream {
  labels: [string, string][];
  entries: LokiEntry[];
  /** Entries that could not be read (a bad entry, or bad labels for the stream), refused alone; why, for the first few. */
  rejected: number;
  reasons: string[];
}

function tooMany(max: number): HttpError {
  return new HttpError(
    413,
    'payload_too_large',
    `more than ${max} entries in one push (INGEST_MAX_RECORDS)`,
    {
      limitRecords: max,
    },
  );
}

// ---- protobuf ----

export function decodeLokiProto(buf: Uint8Array, maxEntries: number): LokiStream[] {
  let n = 0;
  const out: LokiStream[] = [];
  const r = new ProtoReader(buf);
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field !== 1) {
      r.skip(wire);
      continue;
    }
    r.expect(wire, WIRE.bytes, 'streams');
    const sr = r.sub();
    const stream: LokiStream = { labels: [], entries: [], rejected: 0, reasons: [] };
    let labels = '';
    while (!sr.done()) {
      const t = sr.tag();
      if (t.field === 1 && t.wire === WIRE.bytes) labels = sr.string();
      else if (t.field === 2 && t.wire === WIRE.bytes) {
        if (++n > maxEntries) throw tooMany(maxEntries);
        // An entry's bytes are delimited: one that does not decode is refused, the rest read on.
        const er = sr.sub();
        try {
          stream.entries.push(protoEntry(er));
        } catch (e) {
          if (!(e instanceof ProtoError)) throw e;
          refuse(stream, 1, `invalid entry: ${e.message}`);
        }
      } else sr.skip(t.wire);
    }
    try {
      stream.labels = parseLabels(labels);
    } catch (e) {
      if (!(e instanceof ProtoError)) throw e;
      refuse(stream, stream.entries.length, e.message);
      stream.entries = [];
    }
    out.push(stream);
  }
  return out;
}

function protoEntry(r: ProtoReader): LokiEntry {
  const e: LokiEntry = { line: '', metadata: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.bytes) {
      const t = r.sub(); // google.protobuf.Timestamp: seconds = 1, nanos = 2
      let seconds = 0;
      let nanos = 0;
      while (!t.done()) {
        const x = t.tag();
        if (x.field === 1 && x.wire === WIRE.varint) seconds = t.varint();
        else if (x.field === 2 && x.wire === WIRE.varint) nanos = t.varint();
        else t.skip(x.wire);
      }
      const ms = seconds * 1000 + nanos / 1e6;
      if (ms !== 0) e.ms = ms;
    } else if (field === 2 && wire === WIRE.bytes) e.line = r.string();
    else if (field === 3 && wire === WIRE.bytes) {
      const p = r.sub(); // LabelPairAdapter: name = 1, value = 2
      let name = '';
      let value = '';
      while (!p.done()) {
        const x = p.tag();
        if (x.field === 1 && x.wire === WIRE.bytes) name = p.string();
        else if (x.field === 2 && x.wire === WIRE.bytes) value = p.string();
        else p.skip(x.wire);
      }
      e.metadata.push([name, value]);
    } else r.skip(wire);
  }
  return e;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"' };

/** `{a="1", b="x\"y"}` -> [['a','1'], ['b','x"y']]: the Prometheus label text Loki's protobuf carries. */
export function parseLabels(text: string): [string, string][] {
  const out: [string, string][] = [];
  const fail = (why: string) => new ProtoError(`stream labels ${JSON.stringify(text.slice(0, 80))}: ${why}`);
  let i = 0;
  const ws = () => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  ws();
  if (text[i++] !== '{') throw fail('must start with {');
  ws();
  if (text[i] === '}') i++;
  else
    for (;;) {
      ws();
      const start = i;
      if (!NAME_START.test(text[i] ?? '')) throw fail(`label name expected at ${i}`);
      while (i < text.length && NAME_CHAR.test(text[i])) i++;
      const name = text.slice(start, i);
      ws();
      if (text[i++] !== '=') throw fail(`= expected after ${name}`);
      ws();
      if (text[i++] !== '"') throw fail(`quoted value expected for ${name}`);
      let value = '';
      for (;;) {
        const c = text[i++];
        if (c === undefined) throw fail('unterminated value');
        if (c === '"') break;
        if (c === '\\') {
          const esc = ESCAPES[text[i++]];
          if (esc === undefined) throw fail('bad escape');
          value += esc;
        } else value += c;
      }
      out.push([name, value]);
      ws();
      const sep = text[i++];
      if (sep === '}') break;
      if (sep !== ',') throw fail(', or } expected');
    }
  ws();
  if (i !== text.length) throw fail('text after }');
  return out;
}

// ---- JSON ----

const bad = (what: string) => new BadRequestError(`invalid Loki push JSON: ${what}`);

function stringPairs(v: unknown, what: string): [string, string][] {
  if (v === undefined || v === null) return [];
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(`${what} must be an object of strings`);
  const out: [string, string][] = [];
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw bad(`${what}.${k} must be a string`);
    out.push([k, x]);
  }
  return out;
}

/** Nanoseconds since the epoch as a decimal string (numbers accepted too) -> epoch ms. */
function nanosTextMs(v: unknown): number | undefined {
  let ms: number;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v))
    ms = v.length > 6 ? Number(v.slice(0, -6)) + Number(v.slice(-6)) / 1e6 : Number(v) / 1e6;
  else if (typeof v === 'number' && Number.isFinite(v) && v >= 0) ms = v / 1e6;
  else throw bad('a value timestamp must be nanoseconds since the epoch as a decimal string');
  return ms === 0 ? undefined : ms;
}

export function decodeLokiJson(v: unknown, maxEntries: number): LokiStream[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('the body must be an object');
  const streams = (v as Record<string, unknown>).streams;
  if (streams === undefined || streams === null) return [];
  if (!Array.isArray(streams)) throw bad('"streams" must be an array');
  let n = 0;
  return streams.map((s) => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw bad('each stream must be an object');
    const o = s as Record<string, unknown>;
    const values = o.values ?? [];
    if (!Array.isArray(values)) throw bad('"values" must be an array');
    const stream: LokiStream = { labels: [], entries: [], rejected: 0, reasons: [] };
    for (const e of values) {
      if (++n > maxEntries) throw tooMany(maxEntries);
      // A bad entry is refused alone (Loki answers 400 for it after storing the rest).
      try {
        if (!Array.isArray(e) || e.length < 2 || e.length > 3 || typeof e[1] !== 'string')
          throw bad('each value must be [timestamp, line] or [timestamp, line, {metadata}]');
        stream.entries.push({
          ms: nanosTextMs(e[0]),
          line: e[1],
          metadata: stringPairs(e[2], 'structured metadata'),
        });
      } catch (err) {
        if (!(err instanceof BadRequestError)) throw err;
        refuse(stream, 1, err.message);
      }
    }
    try {
      stream.labels = stringPairs(o.stream, 'stream');
    } catch (err) {
      if (!(err instanceof BadRequestError)) throw err;
      refuse(stream, stream.entries.length, err.message);
      stream.entries = [];
    }
    return stream;
  });
}

// A minimal protobuf wire-format reader and writer: enough for OTLP logs and Loki's push.proto
// without a schema compiler in the bundle. Malformed input throws ProtoError (a 400 to the caller).

export class ProtoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoError';
  }
}

export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

const UTF8 = new TextDecoder('utf-8', { fatal: false });

/** Reads the fields of one message; nested messages are read with `sub()` over their bytes. */
export class ProtoReader {
  private pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field === 0) throw new ProtoError(`field number 0 at byte ${this.pos}`);
    return { field, wire: t % 8 };
  }

  /**
   * A varint as a number: exact up to 2^53, approximate beyond (a 64-bit int attribute or a far
   * timestamp loses low bits, nothing else). Negative int64 values (10 bytes) come back negative.
   */
  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError('truncated varint');
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return i === 9 && v >= 2 ** 63 ? v - 2 ** 64 : v;
      mul *= 128;
    }
    throw new ProtoError('varint longer than 10 bytes');
  }

  /** A fixed64, unsigned and exact. */
  fixed64(): bigint {
    const lo = this.fixed32();
    const hi = this.fixed32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  double(): number {
    this.need(8);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  fixed32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
  }

  bytes(): Uint8Array {
    const n = this.varint();
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    return UTF8.decode(this.bytes());
  }

  /** A reader over the next length-delimited field (an embedded message). */
  sub(): ProtoReader {
    const n = this.varint();
    this.need(n);
    const r = new ProtoReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  skip(wire: number): void {
    if (wire === WIRE.varint) this.varint();
    else if (wire === WIRE.bytes) this.bytes();
    else if (wire === WIRE.fixed64 || wire === WIRE.fixed32) {
      const n = wire === WIRE.fixed64 ? 8 : 4;
      this.need(n);
      this.pos += n;
    } else throw new ProtoError(`unsupported wire type ${wire}`);
  }

  /** Throws unless the field has the wire type its schema says. */
  expect(wire: number, want: number, what: string): void {
    if (wire !== want) throw new ProtoError(`${what}: wire type ${wire}, expected ${want}`);
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new ProtoError('message truncated');
  }
}

/** Builds small messages (OTLP responses and errors). */
export class ProtoWriter {
  private readonly parts: number[] = [];

  varintField(field: number, v: number): this {
    if (v === 0) return this;
    this.varintRaw(field * 8 + WIRE.varint);
    this.varintRaw(v);
    return this;
  }

  stringField(field: number, s: string): this {
    if (s === '') return this;
    return this.bytesField(field, new TextEncoder().encode(s));
  }

  bytesField(field: number, b: Uint8Array): this {
    this.varintRaw(field * 8 + WIRE.bytes);
    this.varintRaw(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }

  finish(): Uint8Array<ArrayBuffer> {
    return Uint8Array.from(this.parts);
  }

  private varintRaw(v: number): void {
    let n = v;
    while (n >= 0x80) {
      this.parts.push((n % 128) | 0x80);
      n = Math.floor(n / 128);
    }
    this.parts.push(n);
  }
}

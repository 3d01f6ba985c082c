// Batching decisions: lines are grouped per source (one producer call carries one source) and a batch
// closes when full or old enough. Pure: the caller passes the time and sends what comes out.

export interface BatchLimits {
  /** Lines per producer call. */
  maxLines: number;
  /** Bytes (UTF-16 length as an estimate) per producer call. */
  maxBytes: number;
  /** A batch is sent this long after its first line at the latest. */
  maxWaitMs: number;
  /** Sources with an open batch; one more closes the oldest (bounds memory under many app names). */
  maxSources: number;
}

export interface Batch {
  source: string;
  lines: string[];
  bytes: number;
}

interface Open extends Batch {
  openedAt: number;
}

export class Batcher {
  private readonly open = new Map<string, Open>();
  /** Bytes held in open batches. */
  bytes = 0;

  constructor(private readonly limits: BatchLimits) {}

  /** Adds one line; returns the batches this closes (the source's full one, or the oldest source's). */
  add(source: string, line: string, now: number): Batch[] {
    const out: Batch[] = [];
    let b = this.open.get(source);
    if (b && (b.lines.length >= this.limits.maxLines || b.bytes + line.length + 1 > this.limits.maxBytes)) {
      out.push(this.close(b));
      b = undefined;
    }
    if (!b) {
      if (this.open.size >= this.limits.maxSources) {
        // Map iteration order is insertion order: the first entry is the oldest open batch.
        const oldest = this.open.values().next().value as Open;
        out.push(this.close(oldest));
      }
      b = { source, lines: [], bytes: 0, openedAt: now };
      this.open.set(source, b);
    }
    b.lines.push(line);
    b.bytes += line.length + 1;
    this.bytes += line.length + 1;
    return out;
  }

  /** Batches open for `maxWaitMs` or longer at `now`. */
  due(now: number): Batch[] {
    const out: Batch[] = [];
    for (const b of this.open.values())
      if (now - b.openedAt >= this.limits.maxWaitMs) out.push(this.close(b));
    return out;
  }

  /** Every open batch (shutdown). */
  drain(): Batch[] {
    return [...this.open.values()].map((b) => this.close(b));
  }

  lines(): number {
    let n = 0;
    for (const b of this.open.values()) n += b.lines.length;
    return n;
  }

  private close(b: Open): Batch {
    this.open.delete(b.source);
    this.bytes -= b.bytes;
    return { source: b.source, lines: b.lines, bytes: b.bytes };
  }
}

/** Back-pressure with hysteresis: pause readers at `high` bytes waiting, resume once below half of it. */
export function shouldPause(pendingBytes: number, paused: boolean, high: number): boolean {
  return paused ? pendingBytes >= high / 2 : pendingBytes >= high;
}

// The bench's efficiency figures, derived from CPU seconds per 50k lines: what a line costs across every
// process (ours, RabbitMQ, Redis), each process's share, and how much a stage's in-pipeline cost exceeds
// the cost of its core work measured alone (parse and detect sections).

const US_PER_LINE = 1e6 / 50_000;
const round1 = (x: number) => Math.round(x * 10) / 10;

export interface Efficiency {
  /** All our processes plus RabbitMQ plus Redis, CPU µs per line at the e2e rate. */
  cpu_us_per_line: number;
  cpu_us_per_line_by_process: Record<string, number>;
  cpu_share_pct: Record<string, number>;
}

/** `ours` and `services`: CPU seconds per 50k lines by process name. */
export function efficiency(ours: Record<string, number>, services: Record<string, number>): Efficiency {
  const all = { ...ours, ...services };
  const total = Object.values(all).reduce((a, b) => a + b, 0);
  const byProcess = Object.fromEntries(
    Object.entries(all)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, round1(v * US_PER_LINE)]),
  );
  const share = Object.fromEntries(
    Object.entries(all)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, total > 0 ? Math.round((100 * v) / total) : 0]),
  );
  return {
    cpu_us_per_line: round1(total * US_PER_LINE),
    cpu_us_per_line_by_process: byProcess,
    cpu_share_pct: share,
  };
}

export interface Overheads {
  parse_us_per_line_alone?: number;
  detect_us_per_event_alone?: number;
  /** parse-log's CPU per line in the pipeline / parsing and mining alone on one core. */
  parse_overhead_x?: number;
  /** detect-anomaly's CPU per line in the pipeline / exact scoring alone on one core. */
  detect_overhead_x?: number;
}

/** Needs the parse and detect sections' figures next to the pipeline's; absent ones are left out. */
export function overheads(f: Record<string, unknown>): Overheads {
  const inPipeline = f.cpu_us_per_line_by_process as Record<string, number> | undefined;
  const out: Overheads = {};
  const parseRate = f.parse_lines_per_sec_core;
  if (typeof parseRate === 'number' && parseRate > 0) {
    out.parse_us_per_line_alone = Math.round(1e8 / parseRate) / 100;
    const p = inPipeline?.['parse-log'];
    if (p !== undefined) out.parse_overhead_x = round1(p / (1e6 / parseRate));
  }
  const scoreRate = f.score_events_per_sec_core;
  if (typeof scoreRate === 'number' && scoreRate > 0) {
    out.detect_us_per_event_alone = Math.round(1e8 / scoreRate) / 100;
    const d = inPipeline?.['detect-anomaly'];
    if (d !== undefined) out.detect_overhead_x = round1(d / (1e6 / scoreRate));
  }
  return out;
}

/** One line for people. */
export function overheadLine(o: Overheads): string | undefined {
  if (o.parse_overhead_x === undefined && o.detect_overhead_x === undefined) return undefined;
  return `in-pipeline cost over the work alone: parse-log ${o.parse_overhead_x ?? '?'}x (parsing alone ${o.parse_us_per_line_alone ?? '?'} µs a line), detect-anomaly ${o.detect_overhead_x ?? '?'}x (exact scoring alone ${o.detect_us_per_event_alone ?? '?'} µs an event)`;
}

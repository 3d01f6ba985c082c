import { describe, expect, it } from 'vitest';
import { efficiency, overheadLine, overheads } from './efficiency.js';
import { parseProcStat } from './meter.js';

describe('bench efficiency figures', () => {
  it('turns CPU seconds per 50k lines into µs a line, shares and overhead ratios', () => {
    const e = efficiency(
      { 'parse-log': 0.4, 'detect-anomaly': 0.8, gateway: 0.3 },
      { rabbitmq: 0.2, redis: 0.3 },
    );
    expect(e.cpu_us_per_line).toBe(40);
    expect(e.cpu_us_per_line_by_process).toEqual({
      'detect-anomaly': 16,
      'parse-log': 8,
      gateway: 6,
      redis: 6,
      rabbitmq: 4,
    });
    expect(Object.keys(e.cpu_share_pct)[0]).toBe('detect-anomaly');
    expect(e.cpu_share_pct['detect-anomaly']).toBe(40);
    const o = overheads({ ...e, parse_lines_per_sec_core: 500_000, score_events_per_sec_core: 800_000 });
    expect(o).toEqual({
      parse_us_per_line_alone: 2,
      parse_overhead_x: 4,
      detect_us_per_event_alone: 1.25,
      detect_overhead_x: 12.8,
    });
    expect(overheadLine(o)).toMatch(/parse-log 4x .* detect-anomaly 12.8x/);
  });

  it('leaves out the ratios when a section did not run', () => {
    expect(overheads({ cpu_us_per_line_by_process: { 'parse-log': 8 } })).toEqual({});
    expect(overheadLine({})).toBeUndefined();
  });
});

describe('bench machine meter', () => {
  it("reads /proc/stat's cpu line: busy is all but idle and iowait", () => {
    const text = 'cpu  100 5 30 800 20 1 4 2 0 0\ncpu0 50 2 15 400 10 1 2 1 0 0\nintr 1 2 3\n';
    expect(parseProcStat(text)).toEqual({ busy: 142, total: 962 });
    expect(parseProcStat('')).toEqual({ busy: 0, total: 0 });
  });
});

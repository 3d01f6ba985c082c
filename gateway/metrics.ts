// Prometheus metrics with the OpenFaaS gateway's names, so existing dashboards and alerts work unchanged.

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class GatewayMetrics {
  private readonly invocations = new Map<string, number>();
  private readonly histos = new Map<string, { buckets: number[]; sum: number; count: number }>();

  observe(fn: string, code: number, seconds: number): void {
    const key = `${fn}\u0000${code}`;
    this.invocations.set(key, (this.invocations.get(key) ?? 0) + 1);
    let h = this.histos.get(key);
    if (!h) this.histos.set(key, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) h.buckets[i]++;
    h.sum += seconds;
    h.count++;
  }

  invocationCount(fn: string): number {
    let n = 0;
    for (const [k, v] of this.invocations) if (k.startsWith(`${fn}\u0000`)) n += v;
    return n;
  }

  render(): string {
    const out = [
      '# HELP gateway_function_invocation_total Function metrics',
      '# TYPE gateway_function_invocation_total counter',
    ];
    for (const [k, v] of this.invocations) {
      const [fn, code] = k.split('\u0000');
      out.push(`gateway_function_invocation_total{code="${code}",function_name="${fn}"} ${v}`);
    }
    out.push(
      '# HELP gateway_functions_seconds Function time taken',
      '# TYPE gateway_functions_seconds histogram',
    );
    for (const [k, h] of this.histos) {
      const [fn, code] = k.split('\u0000');
      const l = `code="${code}",function_name="${fn}"`;
      for (let i = 0; i < BUCKETS.length; i++) {
        out.push(`gateway_functions_seconds_bucket{${l},le="${BUCKETS[i]}"} ${h.buckets[i]}`);
      }
      out.push(`gateway_functions_seconds_bucket{${l},le="+Inf"} ${h.count}`);
      out.push(
        `gateway_functions_seconds_sum{${l}} ${h.sum}`,
        `gateway_functions_seconds_count{${l}} ${h.count}`,
      );
    }
    return `${out.join('\n')}\n`;
  }
}

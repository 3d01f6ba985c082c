// Typed readers for one env map. Each component's loadConfig(env) uses these and throws one
// ConfigError listing every bad key, so a misconfigured container says everything at once.

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Collects problems while reading; call done() to throw them all at once. */
export class EnvReader {
  private readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(key: string, def: string): string {
    const v = this.env[key];
    return v === undefined || v === '' ? def : v;
  }

  optStr(key: string): string | undefined {
    const v = this.env[key];
    return v === undefined || v === '' ? undefined : v;
  }

  int(key: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.env[key];
    if (v === undefined || v === '') return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${key}=${JSON.stringify(v)} must be an integer in [${min}, ${max}]`);
      return def;
    }
    return n;
  }

  num(key: string, def: number, min = -Infinity, max = Infinity): number {
    const v = this.env[key];
    if (v === undefined || v === '') return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${key}=${JSON.stringify(v)} must be a number in [${min}, ${max}]`);
      return def;
    }
    return n;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.env[key];
    if (v === undefined || v === '') return def;
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    this.problems.push(`${key}=${JSON.stringify(v)} must be true or false`);
    return def;
  }

  /** Durations like `500ms`, `10s`, `5m`, `1h` or a bare number of milliseconds. */
  duration(key: string, def: number): number {
    const v = this.env[key];
    if (v === undefined || v === '') return def;
    const ms = parseDuration(v);
    if (ms === undefined) {
      this.problems.push(`${key}=${JSON.stringify(v)} must be a duration such as 500ms, 10s, 5m`);
      return def;
    }
    return ms;
  }

  problem(msg: string): void {
    this.problems.push(msg);
  }

  done(): void {
    if (this.problems.length) throw new ConfigError(this.problems);
  }
}

export function parseDuration(v: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(v);
  if (!m) return undefined;
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms'] ?? 1;
  return Math.round(Number(m[1]) * mult);
}

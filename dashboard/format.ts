// Number, time and size formatting for the dashboard. Pure; every function turns a missing or
// non-finite value into an em dash, so no panel can ever show NaN or undefined.

export const DASH = '—';

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export function fmtInt(x: unknown): string {
  return isNum(x) ? Math.round(x).toLocaleString('en-US') : DASH;
}

/** 0..1 as a percentage with precision that still shows small rates (0.012%). */
export function fmtPct(x: unknown): string {
  if (!isNum(x)) return DASH;
  const p = x * 100;
  if (p === 0) return '0%';
  const digits = p >= 10 ? 1 : p >= 1 ? 2 : 3;
  return `${p.toFixed(digits)}%`;
}

export function fmtRate(x: unknown): string {
  if (!isNum(x)) return DASH;
  return x >= 100 ? fmtInt(x) : x.toFixed(x >= 10 ? 1 : 2);
}

export function fmtMs(x: unknown): string {
  if (!isNum(x)) return DASH;
  if (x >= 10_000) return `${(x / 1000).toFixed(1)} s`;
  if (x >= 1000) return `${(x / 1000).toFixed(2)} s`;
  if (x >= 100) return `${Math.round(x)} ms`;
  if (x >= 1) return `${x.toFixed(1)} ms`;
  return `${x.toFixed(2)} ms`;
}

export function fmtBytes(x: unknown): string {
  if (!isNum(x) || x < 0) return DASH;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = x;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local HH:MM:SS (today) or YYYY-MM-DD HH:MM for older times. */
export function fmtTime(x: unknown, now = Date.now()): string {
  const t = typeof x === 'string' ? Date.parse(x) : typeof x === 'number' ? x : Number.NaN;
  if (!Number.isFinite(t)) return DASH;
  const d = new Date(t);
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (Math.abs(now - t) < 20 * 3_600_000) return hms;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Axis label for a chart tick: HH:MM, with seconds for short windows. */
export function fmtTick(t: number, withSeconds: boolean): string {
  const d = new Date(t);
  return withSeconds
    ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
    : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fmtScore(x: unknown): string {
  return isNum(x) ? x.toFixed(2) : DASH;
}

/** Shortens long text for a table cell; the full text is in the title and the detail dialog. */
export function clip(s: string, max = 160): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

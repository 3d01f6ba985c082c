// The send progress bar: a pure line formatter plus a throttled writer for a TTY (stderr).

export interface ProgressState {
  lines: number;
  bytes: number;
  /** Bytes to send in total, when known (files); undefined for stdin and --follow. */
  totalBytes?: number;
  elapsedMs: number;
}

const WIDTH = 24;

export function formatProgress(s: ProgressState): string {
  const sec = Math.max(s.elapsedMs / 1000, 0.001);
  const lps = s.lines / sec;
  const parts = [`${fmtInt(s.lines)} lines`, `${fmtMB(s.bytes)} MB`, `${fmtInt(lps)} lines/s`];
  if (s.totalBytes && s.totalBytes > 0) {
    const f = Math.min(1, s.bytes / s.totalBytes);
    const filled = Math.round(f * WIDTH);
    const eta = f > 0 ? (sec / f) * (1 - f) : Number.NaN;
    return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${Math.floor(f * 100)}% ${parts.join('  ')}  ETA ${fmtDuration(eta)}`;
  }
  return parts.join('  ');
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtMB = (bytes: number): string => (bytes / 1e6).toFixed(1);

export function fmtDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '--';
  if (sec < 60) return `${Math.ceil(sec)}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m${String(Math.ceil(sec % 60)).padStart(2, '0')}s`;
  return `${Math.floor(sec / 3600)}h${String(Math.floor((sec % 3600) / 60)).padStart(2, '0')}m`;
}

/** Redraws at most every `intervalMs` on a TTY; does nothing elsewhere. */
export function createProgressBar(out: NodeJS.WritableStream & { isTTY?: boolean }, intervalMs = 100) {
  const enabled = out.isTTY === true;
  let last = 0;
  let drawn = false;
  return {
    update(s: ProgressState, force = false) {
      if (!enabled) return;
      const now = Date.now();
      if (!force && now - last < intervalMs) return;
      last = now;
      drawn = true;
      out.write(`\r\x1b[2K${formatProgress(s)}`);
    },
    /** Clears the bar so a final message starts on a clean line. */
    done() {
      if (enabled && drawn) out.write('\r\x1b[2K');
    },
  };
}

// Timestamp text for the three formats, and the daily traffic rhythm. Each line's timestamp text is
// derived from its `ts`, so the text and the ground-truth time always agree.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** ISO 8601 UTC with milliseconds, as the API and DB systems write it. */
export function isoTime(ts: number): string {
  return new Date(ts).toISOString();
}

let cachedSecond = Number.NaN;
let cachedNginx = '';

/** Nginx `$time_local` in UTC, e.g. `07/Feb/2026:06:34:01 +0000` (second precision, cached per second). */
export function nginxTime(ts: number): string {
  const sec = Math.floor(ts / 1000);
  if (sec !== cachedSecond) {
    const d = new Date(sec * 1000);
    cachedSecond = sec;
    cachedNginx = `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
  }
  return cachedNginx;
}

/** Nginx error-log time, e.g. `2026/02/07 06:34:01`. */
export function nginxErrorTime(ts: number): string {
  const iso = new Date(Math.floor(ts / 1000) * 1000).toISOString();
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)} ${iso.slice(11, 19)}`;
}

const DAY_MS = 86_400_000;
/** Peak-to-mean amplitude of the daily rhythm: busy afternoons, quiet nights. */
const RHYTHM_AMPLITUDE = 0.5;
/** Hour (UTC) of the traffic peak. */
const PEAK_HOUR = 14;

/** Traffic multiplier at time ts; averages 1 over a day, so the mean rate is the requested one. */
export function dailyRhythm(ts: number): number {
  const phase = ((ts % DAY_MS) / DAY_MS - PEAK_HOUR / 24) * 2 * Math.PI;
  return 1 + RHYTHM_AMPLITUDE * Math.cos(phase);
}

// The decimal number written in s[at..at+len), or -1 when any of those characters is not a digit (or
// the range runs past the end). The hand-written timestamp and duration readers of parse-log and
// detect-anomaly all need exactly this; it is their one copy. Pure.
export function digitsAt(s: string, at: number, len: number): number {
  let n = 0;
  for (let i = at; i < at + len; i++) {
    const d = s.charCodeAt(i) - 48; // NaN past the end: the test below fails for it too
    if (!(d >= 0 && d <= 9)) return -1;
    n = n * 10 + d;
  }
  return n;
}

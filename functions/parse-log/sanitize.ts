// Per-line hygiene before parsing: NUL bytes removed, over-long lines cut, blank lines flagged.
// Each fix is recorded as a problem on the event; nothing here throws or drops a line.

export interface CleanLine {
  text: string;
  /** The line as it will appear in `raw` (possibly truncated). */
  raw: string;
  problems: string[];
}

/** True when sanitizeLine would neither change nor flag the line: the common case, checked without allocating. */
export function isCleanLine(line: string, maxLength: number): boolean {
  return (
    line.length <= maxLength &&
    line.charCodeAt(line.length - 1) !== 13 &&
    line.indexOf('\u0000') < 0 &&
    !isBlank(line)
  );
}

export function sanitizeLine(line: string, maxLength: number): CleanLine {
  const problems: string[] = [];
  let raw = line;
  if (raw.length > maxLength) {
    let cut = maxLength;
    // Do not split a surrogate pair.
    const c = raw.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut--;
    raw = raw.slice(0, cut);
    problems.push('truncated');
  }
  let text = raw;
  if (text.indexOf('\u0000') >= 0) {
    text = text.replaceAll('\u0000', '');
    problems.push('nul_bytes');
  }
  if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
  if (isBlank(text)) problems.push('empty');
  return { text, raw, problems };
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 11 && c !== 12 && c !== 0xa0 && c !== 0xfeff) return false;
  }
  return true;
}

// Resumable sends: a small JSON file per input file (by path, device and inode) and target (gateway URL
// and source) recording the byte offset up to which every line was confirmed, plus chunks confirmed
// beyond it (parallel requests). The same file sent to staging, then production, or under another
// source, is a new send with its own progress and idempotency keys.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Range {
  start: number;
  end: number;
  lines: number;
}

/** Where a file's lines went: the gateway and the source they were sent under. */
export interface SendTarget {
  gateway: string;
  source: string;
}

/** `nginx at http://gw:8080`: how the summary names a target. */
export const targetLabel = (t: SendTarget): string => `${t.source} at ${t.gateway}`;

export interface SendState {
  version: 1;
  path: string;
  dev: number;
  ino: number;
  /** Absent in states saved before progress was kept per target (see claimLegacyState). */
  target?: SendTarget;
  /** Prefix of idempotency keys; a chunk's key is `${keyBase}:${startOffset}`. */
  keyBase: string;
  /** Every line before this byte offset is confirmed. */
  offset: number;
  /** Lines before `offset`. */
  lines: number;
  /** Chunks confirmed beyond `offset` while an earlier one was still in flight. */
  ahead: Range[];
  updatedAt: string;
}

export function defaultStateDir(env: Readonly<Record<string, string | undefined>>): string {
  return env.LOGFAAS_STATE_DIR || join(homedir(), '.logfaas', 'send-state');
}

/**
 * The file's identity, and with a target the send's: a rename keeps it, a rotation (new inode), another
 * path, gateway or source does not.
 */
export function fileIdentity(absPath: string, st: { dev: number; ino: number }, target?: SendTarget): string {
  const to = target ? `\0${target.gateway}\0${target.source}` : '';
  return createHash('sha256').update(`${absPath}\0${st.dev}\0${st.ino}${to}`).digest('hex').slice(0, 20);
}

export function stateFilePath(
  dir: string,
  absPath: string,
  st: { dev: number; ino: number },
  target?: SendTarget,
): string {
  return join(dir, `${fileIdentity(absPath, st, target)}.json`);
}

export function freshState(
  absPath: string,
  st: { dev: number; ino: number },
  resend = false,
  target?: SendTarget,
): SendState {
  // A deliberate resend (--no-resume) gets new keys, so downstream does not drop it as a duplicate.
  const id = fileIdentity(absPath, st, target);
  const keyBase = resend ? `${id}-${randomUUID().slice(0, 8)}` : id;
  return {
    version: 1,
    path: absPath,
    dev: st.dev,
    ino: st.ino,
    ...(target ? { target } : {}),
    keyBase,
    offset: 0,
    lines: 0,
    ahead: [],
    updatedAt: new Date().toISOString(),
  };
}

/**
 * A state saved before progress was kept per target (file name without the target, no `target`): the
 * first target that asks takes it over, moved to its own file, so an upgrade does not resend what was
 * sent; a second target then finds none and sends the file itself.
 */
export function claimLegacyState(
  dir: string,
  absPath: string,
  st: { dev: number; ino: number },
  target: SendTarget,
): SendState | null {
  const legacy = stateFilePath(dir, absPath, st);
  const s = existsSync(legacy) ? loadState(legacy) : null;
  if (!s || s.target) return null;
  const claimed = { ...s, target };
  saveState(stateFilePath(dir, absPath, st, target), claimed);
  removeState(legacy);
  return claimed;
}

export function loadState(file: string): SendState | null {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as SendState;
    if (
      s.version !== 1 ||
      typeof s.offset !== 'number' ||
      typeof s.keyBase !== 'string' ||
      !Array.isArray(s.ahead)
    )
      return null;
    return s;
  } catch {
    return null;
  }
}

/** Atomic: written to a temporary file and renamed, so a crash never leaves half a state. */
export function saveState(file: string, s: SendState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...s, updatedAt: new Date().toISOString() }));
  renameSync(tmp, file);
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}

/** Records a confirmed chunk and advances the contiguous offset over it and any chunks ahead. */
export function confirmRange(s: SendState, r: Range): void {
  if (r.start === s.offset) {
    s.offset = r.end;
    s.lines += r.lines;
  } else if (r.start > s.offset) {
    s.ahead.push(r);
  }
  s.ahead.sort((a, b) => a.start - b.start);
  while (s.ahead.length && s.ahead[0].start <= s.offset) {
    const a = s.ahead.shift()!;
    if (a.start === s.offset) {
      s.offset = a.end;
      s.lines += a.lines;
    }
  }
}

/** Confirmed lines in total (before the offset and ahead of it). */
export const confirmedLines = (s: SendState): number => s.lines + s.ahead.reduce((n, r) => n + r.lines, 0);

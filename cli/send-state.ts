// Resumable sends: a small JSON file per input file (by path, device and inode) recording the byte
// offset up to which every line was confirmed, plus chunks confirmed beyond it (parallel requests).
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Range {
  start: number;
  end: number;
  lines: number;
}

export interface SendState {
  version: 1;
  path: string;
  dev: number;
  ino: number;
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

/** The file's identity: a rename keeps it, a rotation (new inode) or another path does not. */
export function fileIdentity(absPath: string, st: { dev: number; ino: number }): string {
  return createHash('sha256').update(`${absPath}\0${st.dev}\0${st.ino}`).digest('hex').slice(0, 20);
}

export function stateFilePath(dir: string, absPath: string, st: { dev: number; ino: number }): string {
  return join(dir, `${fileIdentity(absPath, st)}.json`);
}

export function freshState(absPath: string, st: { dev: number; ino: number }, resend = false): SendState {
  // A deliberate resend (--no-resume) gets new keys, so downstream does not drop it as a duplicate.
  const keyBase = resend
    ? `${fileIdentity(absPath, st)}-${randomUUID().slice(0, 8)}`
    : fileIdentity(absPath, st);
  return {
    version: 1,
    path: absPath,
    dev: st.dev,
    ino: st.ino,
    keyBase,
    offset: 0,
    lines: 0,
    ahead: [],
    updatedAt: new Date().toISOString(),
  };
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

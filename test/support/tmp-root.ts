// Vitest global setup: every test's temporary directories (os.tmpdir(), which reads TMPDIR) and those of
// the processes it starts go under one root, removed when the run ends, so a run leaves nothing in /tmp.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'logfaas-test-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}

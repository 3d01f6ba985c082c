#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=4194304 node --max-semi-space-size=8 --heap-growing-percent=30
// The package's `logfaas` bin: runs the built CLI bundle, building it first on a fresh checkout.
// The shebang gives it the one-process memory settings (EMBEDDED_NODE_ARGS and RUNTIME_ENV in
// runner/processes.ts):
// `logfaas up` is the whole stack in this one process, and neither setting can be changed once a
// process runs (V8 sizes its young generation at start-up; glibc reads the variable once).
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.mjs');
if (!existsSync(cli)) execSync('node build.mjs', { cwd: root, stdio: 'inherit' });
await import(cli);

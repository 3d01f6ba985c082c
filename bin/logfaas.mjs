#!/usr/bin/env node
// The package's `logfaas` bin: runs the built CLI bundle, building it first on a fresh checkout.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.mjs');
if (!existsSync(cli)) execSync('node build.mjs', { cwd: root, stdio: 'inherit' });
await import(cli);

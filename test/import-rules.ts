// The dependency direction of the tree, as a check (run by test/import-rules.test.ts in `npm test`):
// core/ imports nothing above it, and a function imports only core/ and its own folder (never another
// function, the gateway, the connectors, the runner or the CLI). Tests may also import test/ and eval/.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/** Where a file sits: its top-level area, and for functions and connectors the component's name. */
export interface Unit {
  area: string;
  name?: string;
}

export interface Violation {
  /** Paths relative to the root, with `/`. */
  file: string;
  specifier: string;
  target: string;
  rule: string;
}

/** Folders never checked: dependencies, build output, data, and fixtures that break rules on purpose. */
const SKIPPED = new Set(['node_modules', 'dist', 'data', 'test-results', '.git']);
const SKIPPED_PATHS = new Set(['test/fixtures']);

export function unitOf(path: string): Unit {
  const [area, name] = path.split('/');
  if (
    (area === 'functions' || area === 'connectors') &&
    name !== undefined &&
    path.includes('/', area.length + 1)
  )
    return { area, name };
  return { area };
}

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^;'"`]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Module specifiers of a source: static imports and re-exports (at the start of a line) and import('...'). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(STATIC_IMPORT)) out.push(m[1]);
  for (const line of source.split('\n')) {
    const t = line.trimStart();
    if (t.startsWith('//') || t.startsWith('*')) continue;
    for (const m of line.matchAll(DYNAMIC_IMPORT)) out.push(m[1]);
  }
  return out;
}

const FUNCTION_FORBIDS: Record<string, string> = {
  gateway: 'a function never imports the gateway',
  connectors: 'a function never imports a connector',
  runner: 'a function never imports the runner',
  cli: 'a function never imports the CLI',
};

/** Test support a test file (`*.test.ts`) may import from anywhere. */
const TEST_SUPPORT = new Set(['test', 'eval']);

/** The rule `file` breaks by importing `target` (both root-relative), or undefined. */
export function ruleBroken(file: string, target: string): string | undefined {
  const from = unitOf(file);
  const to = unitOf(target);
  if (file.endsWith('.test.ts') && TEST_SUPPORT.has(to.area)) return undefined;
  if (from.area === 'core') {
    return to.area === 'core' ? undefined : `core imports nothing above it (${to.area}/)`;
  }
  if (from.area === 'functions') {
    if (to.area === 'core') return undefined;
    if (to.area === 'functions') {
      return to.name === from.name ? undefined : 'a function never imports another function';
    }
    return FUNCTION_FORBIDS[to.area] ?? `a function imports only core/ and its own folder (${to.area}/)`;
  }
  return undefined;
}

/** Violations among `files` (root-relative path and source); only relative specifiers are project files. */
export function checkSources(files: Iterable<{ path: string; source: string }>): Violation[] {
  const out: Violation[] = [];
  for (const { path, source } of files) {
    for (const specifier of importsOf(source)) {
      if (!specifier.startsWith('.')) continue;
      const target = posix.normalize(posix.join(posix.dirname(path), specifier));
      if (target.startsWith('../')) continue;
      const rule = ruleBroken(path, target);
      if (rule) out.push({ file: path, specifier, target, rule });
    }
  }
  return out;
}

/** Every .ts file under `root` (root-relative, with `/`), skipping SKIPPED folders and fixtures. */
export function tsFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      const rel = relative(root, abs).split(sep).join('/');
      if (e.isDirectory()) {
        if (!SKIPPED.has(e.name) && !SKIPPED_PATHS.has(rel)) walk(abs);
      } else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  walk(root);
  return out.sort();
}

/** Checks every .ts file of the tree at `root`. */
export function checkTree(root: string): Violation[] {
  return checkSources(
    tsFiles(root).map((path) => ({ path, source: readFileSync(join(root, path), 'utf8') })),
  );
}

export function formatViolation(v: Violation): string {
  return `${v.file}: imports '${v.specifier}' (${v.target}): ${v.rule}`;
}

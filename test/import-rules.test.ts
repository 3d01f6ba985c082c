import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSources, checkTree, formatViolation, importsOf, ruleBroken, tsFiles } from './import-rules.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/import-rules/${name}`, import.meta.url));

describe('import rules', () => {
  it('hold in this tree', () => {
    expect(checkTree(ROOT).map(formatViolation)).toEqual([]);
  });

  it('look at every .ts file of the tree except the fixtures', () => {
    const files = tsFiles(ROOT);
    expect(files).toContain('core/event.ts');
    expect(files).toContain('functions/parse-log/handler.ts');
    expect(files).toContain('test/import-rules.test.ts');
    expect(files.some((f) => f.startsWith('test/fixtures/') || f.startsWith('node_modules/'))).toBe(false);
  });

  it('pass on a tree that keeps them', () => {
    expect(checkTree(fixture('ok'))).toEqual([]);
  });

  it('fail on a tree that breaks them, once per broken import', () => {
    expect(checkTree(fixture('broken')).map((v) => [v.file, v.target, v.rule])).toEqual([
      ['core/c.ts', 'functions/f/x.js', 'core imports nothing above it (functions/)'],
      ['functions/f/x.ts', 'functions/g/y.js', 'a function never imports another function'],
      ['functions/g/y.ts', 'gateway/z.js', 'a function never imports the gateway'],
      ['functions/g/y.ts', 'connectors/c/send.js', 'a function never imports a connector'],
      ['functions/g/y.ts', 'cli/w.js', 'a function never imports the CLI'],
    ]);
  });

  it('let tests import test support, and nothing else across the rules', () => {
    expect(ruleBroken('core/kv/redis.test.ts', 'test/services.js')).toBeUndefined();
    expect(ruleBroken('functions/f/a.test.ts', 'eval/loghub.js')).toBeUndefined();
    expect(ruleBroken('core/kv/redis.ts', 'test/services.js')).toMatch(/core imports nothing/);
    expect(ruleBroken('functions/f/a.ts', 'eval/loghub.js')).toMatch(/only core/);
    expect(ruleBroken('functions/f/a.test.ts', 'functions/g/b.js')).toMatch(/another function/);
    expect(ruleBroken('functions/f/a.ts', 'runner/embedded.js')).toMatch(/runner/);
    // The rest of the tree is free to import functions (the runner, the bench, eval).
    expect(ruleBroken('runner/embedded.ts', 'functions/f/main.js')).toBeUndefined();
  });

  it('read static, type-only, multi-line, side-effect, re-export and dynamic imports, not comments', () => {
    const src = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      'import {',
      '  c,',
      '  type D,',
      "} from './c.js';",
      "import './side.js';",
      "export * from './all.js';",
      "export { e } from './e.js';",
      "const f = () => import('./f.js');",
      "// import { g } from './g.js';",
      " * import('./h.js')",
      'const s = \'not an import from "./i.js"\';',
    ].join('\n');
    expect(importsOf(src).sort()).toEqual(
      ['./a.js', './b.js', './c.js', './side.js', './all.js', './e.js', './f.js'].sort(),
    );
    expect(
      checkSources([{ path: 'core/x.ts', source: "import { y } from '../functions/f/y.js';" }]),
    ).toHaveLength(1);
    // Packages and node: builtins are not the tree's business.
    expect(checkSources([{ path: 'core/x.ts', source: "import { Redis } from 'ioredis';" }])).toEqual([]);
  });
});

// keepStringPrototypeFast must undo what a String subclass does to String.prototype (dictionary
// mode). Checked with V8's own view (%HasFastProperties) in a child process, as vitest's cannot
// take --allow-natives-syntax; this also catches a Node upgrade that changes the behaviour.
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

it('a String subclass makes String.prototype slow, keepStringPrototypeFast makes it fast again', async () => {
  const out = await build({
    stdin: {
      contents: `
        import { keepStringPrototypeFast } from ${JSON.stringify(new URL('./fast-strings.ts', import.meta.url).pathname)};
        const fast = () => HAS_FAST(String.prototype);
        const before = fast();
        class Verbatim extends String {}
        globalThis.keep = Verbatim;
        const subclassed = fast();
        keepStringPrototypeFast();
        console.log(JSON.stringify({ before, subclassed, after: fast() }));`,
      resolveDir: process.cwd(),
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    logLevel: 'silent',
  });
  // esbuild cannot parse V8 intrinsics, so the call is spliced in after bundling.
  const code = out.outputFiles[0].text.replace('HAS_FAST(', '%HasFastProperties(');
  const res = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', code], {
    encoding: 'utf8',
  });
  expect(JSON.parse(res)).toEqual({ before: true, subclassed: false, after: true });
});

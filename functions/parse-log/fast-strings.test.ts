// keepStringPrototypeFast must undo what a String subclass does to String.prototype (dictionary
// mode). Checked with V8's own view (%HasFastProperties) in a child process, as vitest's cannot
// take --allow-natives-syntax; this also catches a Node upgrade that changes the behaviour.
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

it('a String subclass makes String.prototype slow; keepStringPrototypeFast, and so each parsed batch, makes it fast again', async () => {
  const here = (f: string) => JSON.stringify(new URL(f, import.meta.url).pathname);
  const out = await build({
    stdin: {
      contents: `
        import { keepStringPrototypeFast } from ${here('../../core/fast-strings.ts')};
        import { createLineParser } from ${here('./pipeline.ts')};
        const fast = () => HAS_FAST(String.prototype);
        const before = fast();
        class Verbatim extends String {}
        globalThis.keep = Verbatim;
        const subclassed = fast();
        createLineParser({ source: 's' }).parse(['a line']);
        const afterBatch = fast();
        // Once V8 marks the prototype as one to keep fast, a later subclass leaves it fast.
        class Again extends String {}
        globalThis.again = Again;
        const again = fast();
        keepStringPrototypeFast();
        console.log(JSON.stringify({ before, subclassed, afterBatch, again, after: fast() }));`,
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
  const code = out.outputFiles[0].text.replaceAll('HAS_FAST(', '%HasFastProperties(');
  const res = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', code], {
    encoding: 'utf8',
  });
  expect(JSON.parse(res)).toEqual({
    before: true,
    subclassed: false,
    after: true,
    again: true,
    afterBatch: true,
  });
});

// The pure core runs unchanged in workerd: bundle pipeline.ts for the browser platform (a Node
// import would fail the build), run it in a Miniflare worker and compare with the Node result.
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLoghub } from '../../eval/loghub.js';
import { mixedCorpus } from '../../eval/mixed-corpus.js';
import { createLineParser } from './pipeline.js';

const NOW = Date.UTC(2026, 1, 7, 12);
const entry = `
import { createLineParser } from ${JSON.stringify(new URL('./pipeline.ts', import.meta.url).pathname)};
export default {
  async fetch(req) {
    const { source, format, lines } = await req.json();
    const p = createLineParser({ source, format, now: () => ${NOW} });
    return Response.json(p.parse(lines));
  },
};`;

let mf: Miniflare;
beforeAll(async () => {
  const out = await build({
    stdin: { contents: entry, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  mf = new Miniflare({ modules: true, script: out.outputFiles[0].text, compatibilityDate: '2026-04-01' });
});
afterAll(async () => {
  await mf?.dispose();
});

describe('parse core in workerd (Miniflare)', () => {
  const hdfs = loadLoghub().find((d) => d.name === 'HDFS')!;
  const cases = [
    { source: 'mixed', format: undefined, lines: mixedCorpus(200) },
    { source: 'hdfs', format: hdfs.format, lines: hdfs.lines.slice(0, 300) },
    {
      source: 'odd',
      format: undefined,
      lines: ['', '   ', '{"bad', 'a\u0000b', 'level=x msg="open', 'plain words'],
    },
  ];
  it.each(cases.map((c) => [c.source, c] as const))('%s: same events as Node', async (_name, c) => {
    const res = await mf.dispatchFetch('http://worker/', { method: 'POST', body: JSON.stringify(c) });
    const inWorker = await res.json();
    const inNode = createLineParser({ source: c.source, format: c.format, now: () => NOW }).parse(c.lines);
    expect(inWorker).toEqual(JSON.parse(JSON.stringify(inNode)));
  });
});

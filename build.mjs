// Builds one bundle per deployable (function, connector, gateway, CLI, bench) and the dashboard assets.
// Entries whose source does not exist yet are skipped, so the tree builds while it grows.
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { build } from 'esbuild';

const entries = {
  'functions/parse-log': 'functions/parse-log/main.ts',
  'functions/detect-anomaly': 'functions/detect-anomaly/main.ts',
  'functions/stats': 'functions/stats/main.ts',
  'functions/search': 'functions/search/main.ts',
  'functions/producer': 'functions/producer/main.ts',
  'functions/notify': 'functions/notify/main.ts',
  connector: 'connectors/rabbitmq/main.ts',
  'syslog-connector': 'connectors/syslog/main.ts',
  gateway: 'gateway/main.ts',
  'dashboard-server': 'dashboard/main.ts',
  cli: 'cli/main.ts',
  bench: 'bench/main.ts',
  'bench-null-function': 'bench/null-function-main.ts',
  'eval-parse': 'eval/parse.ts',
  'eval-detect': 'eval/detect.ts',
  'eval-incidents': 'eval/incidents.ts',
};

const present = Object.fromEntries(Object.entries(entries).filter(([, src]) => existsSync(src)));
await build({
  entryPoints: present,
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  // Native-ish and large runtime deps stay external; they are in package.json dependencies.
  external: ['amqplib', 'ioredis', 'yaml', 'playwright-core', 'miniflare', 'esbuild'],
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'warning',
});

// Dashboard: static files plus one browser bundle (Chart.js from npm, no CDN).
mkdirSync('dist/dashboard', { recursive: true });
if (existsSync('dashboard/app.ts')) {
  await build({
    entryPoints: { app: 'dashboard/app.ts' },
    outdir: 'dist/dashboard',
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}
if (existsSync('dashboard')) {
  for (const f of readdirSync('dashboard')) {
    if (/\.(html|css|svg|png|ico|webmanifest)$/.test(f)) cpSync(`dashboard/${f}`, `dist/dashboard/${f}`);
  }
}

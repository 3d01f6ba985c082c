import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Temporary directories under one root, removed at the end (test/support/tmp-root.ts).
    globalSetup: ['test/support/tmp-root.ts'],
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/data/**', 'test/faults/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start processes and share one RabbitMQ/Redis; two cores here.
    fileParallelism: true,
    maxWorkers: 2,
    // The JSON report feeds the one-line summary that .ci/run prints.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});

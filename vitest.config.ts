import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
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

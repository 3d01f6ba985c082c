import { defineConfig } from 'vitest/config';

// Fault tests restart shared services (RabbitMQ), so they run alone and one file at a time.
export default defineConfig({
  test: {
    // Temporary directories under one root, removed at the end (test/support/tmp-root.ts).
    globalSetup: ['test/support/tmp-root.ts'],
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest-faults.json' },
  },
});

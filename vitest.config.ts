import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: run files in parallel but keep it bounded so process-spawning suites do not starve.
    maxWorkers: 2,
  },
});

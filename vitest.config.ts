import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests bind loopback ports and spawn processes; two cores, so keep it modest.
    maxWorkers: 2,
    minWorkers: 1,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests bind loopback ports and spawn processes; two cores, so keep it modest.
    maxWorkers: 2,
    minWorkers: 1,
    // Every `flotilla serve` a test spawns inherits this: its transfer endpoint takes any free
    // port, so only test/ops/config.test.ts (which strips FLOTILLA_*) races for the default 7567.
    env: { FLOTILLA_FILES_PORT: '0' },
  },
});

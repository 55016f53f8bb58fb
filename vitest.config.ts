import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'dashboards/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    // chDB allows one data directory per process: isolate test files in their own processes
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/fast-check.ts'],
  },
})

import { defineConfig } from 'vitest/config'

export default defineConfig({
  // tests import the workspace packages' TypeScript sources, not their dist/ (vitest passes
  // these to its worker processes as --conditions too); the rest are Vite's server defaults
  ssr: { resolve: { conditions: ['@orgpulse/source', 'module', 'node', 'development|production'] } },
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
    globalSetup: ['test/setup/build.ts', 'test/setup/global.ts'],
    setupFiles: ['test/setup/fast-check.ts'],
  },
})

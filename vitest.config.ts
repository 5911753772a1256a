import { defineConfig } from 'vitest/config'
import { TEST_WORKERS } from './test/sandbox/workers.ts'

// Four kinds of test, each its own project so they can be run apart:
// unit (pure code, no processes), integration (the toolkit against real sshd and the sandbox host),
// contract (proves the Dokku simulator against the contract, apart from the toolkit's own tests),
// bundle (spawns the built dist/ bundles).
export default defineConfig({
  test: {
    maxWorkers: TEST_WORKERS,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The secret scan of issue 17 (test/support/secret-scan-reporter.ts) runs over every run.
    reporters: ['default', './test/support/secret-scan-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: ['test/sandbox/global-setup.ts', 'test/support/secret-scan-setup.ts'] } },
      { extends: true, test: { name: 'contract', include: ['test/contract/**/*.test.ts'] } },
      { extends: true, test: { name: 'bundle', include: ['test/bundle/**/*.test.ts'] } }
    ]
  }
})

import { defineConfig } from 'vitest/config';

/** The real-stack suite, run by deploy/test-stack.sh against a deployed Swarm stack. */
export default defineConfig({
  test: {
    include: ['tests/stack/*.stack.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ['default', './tests/support/summary-reporter.ts'],
  },
});

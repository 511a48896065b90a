import { defineConfig } from 'vitest/config';

/**
 * Tests that measure latency under load run last and one at a time: beside another test file's
 * worker pools on a 2-core machine they would measure the neighbour, not the service.
 */
const ALONE = ['test/engine/event-loop.test.ts', 'test/engine/mixed-models.test.ts'];

const shared = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
  globalSetup: ['./test/support/global-setup.ts'],
};

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          ...shared,
          name: 'parallel',
          include: ['test/**/*.test.ts'],
          exclude: ALONE,
          // Forged models and ONNX sessions are heavy; two cores run at most two files at once.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: 'alone',
          include: ALONE,
          maxWorkers: 1,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', '.passerelle/**'];

/**
 * Tiers, told apart by file name: *.unit.spec.ts (no I/O), *.int.spec.ts (real Kafka,
 * registry, PostgreSQL, Zipkin), *.e2e.spec.ts (several services together), *.fault.spec.ts
 * (the fault suite, on a private stack it stops and restarts).
 */
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['**/*.unit.spec.ts'], exclude } },
      {
        test: {
          name: 'int',
          include: ['**/*.int.spec.ts'],
          exclude,
          globalSetup: ['infra/src/test-stack/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 240_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['**/*.e2e.spec.ts'],
          exclude,
          globalSetup: ['infra/src/test-stack/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      {
        // Stops Kafka and the registry, so it runs a private stack of its own (tests/faults/global-setup.ts).
        test: {
          name: 'faults',
          include: ['tests/faults/**/*.fault.spec.ts'],
          exclude,
          globalSetup: ['tests/faults/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

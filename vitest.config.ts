import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'src/**/*.test.ts',
      'worker/**/*.test.ts',
      'supabase/**/*.test.ts',
      'server/**/*.test.ts',
      'scripts/**/*.test.ts',
    ],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // PGlite and Postgres suites are CPU-heavy; two files at once fits the 2-core machine.
    maxWorkers: 2,
  },
});

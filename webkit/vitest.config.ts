// The WebKit suite (`npm run test:webkit`): one file, one browser run at a time.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['webkit/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // Every process it starts is stopped in afterAll; teardown must not hang the run.
    teardownTimeout: 20_000,
  },
});

// Browser benchmarks: the test config's server and browsers, but only `*.bench.ts`, one at a time.
// MPFS_BENCH_ENGINES=1 runs them in every engine found (the engines bench); else in Chromium only.
import base from './playwright.config.ts';
import { defineConfig } from '@playwright/test';

const testMatch = /.*\.bench\.ts$/;
const projects = (base.projects ?? [])
  .filter((p) => process.env.MPFS_BENCH_ENGINES === '1' || p.name === 'chromium')
  .map((p) => ({ ...p, testMatch }));

// No trace: one of 60 pages is too big to write and fails the run at context.close().
export default defineConfig({
  ...base,
  testMatch,
  projects,
  workers: 1,
  use: { ...base.use, trace: 'off' },
});

// Browser benchmarks: the test config's server and browser, but only `*.bench.ts`, one at a time.
import base from './playwright.config.ts';
import { defineConfig } from '@playwright/test';

export default defineConfig({ ...base, testMatch: /.*\.bench\.ts$/, workers: 1 });
